// A real Ponte server for the SDK tests: a child JVM running io.ponte.server.Main on a free port
// with its own data directory, that a test can stop (SIGTERM), kill (SIGKILL), freeze (SIGSTOP /
// SIGCONT) and start again on the same port and data. Also mints HS256 tokens the server accepts
// (TokenVerifier's claims) and creates rooms through the admin API.
//
// Needs PONTE_CLASSPATH (the server's classpath: the shaded jar, or what Maven's test run has)
// and optionally PONTE_JAVA (the java binary; default: java on the PATH). WebSdkIT sets both.
import { spawn } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const READY_TIMEOUT_MS = 60_000;
let serverCount = 0;

/** The classpath to run the server with; throws (failing the test) when it is not set. */
export function serverClasspath() {
  const cp = process.env.PONTE_CLASSPATH;
  if (!cp) {
    throw new Error('PONTE_CLASSPATH is not set: the SDK tests run a real Ponte server and need its '
      + 'classpath, e.g. PONTE_CLASSPATH=../server/target/ponte-server.jar npm run test:sdk '
      + '(build the jar with mvn -B -q package -DskipTests), or run them through Maven (WebSdkIT)');
  }
  return cp;
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function base64url(data) {
  return Buffer.from(data).toString('base64url');
}

export class PonteTestServer {
  /**
   * Starts a server and waits until /health/ready answers.
   * @param {{args?: string[]}} [options] extra settings, e.g. ['--resume-window', '10']
   */
  static async start(options = {}) {
    const server = new PonteTestServer(options);
    server.port = await freePort();
    await server.start();
    return server;
  }

  constructor({ args = [] } = {}) {
    this.classpath = serverClasspath();
    this.java = process.env.PONTE_JAVA || 'java';
    this.extraArgs = args;
    this.dir = mkdtempSync(join(tmpdir(), 'ponte-sdk-test-'));
    this.dataDir = join(this.dir, 'data');
    // PONTE_TEST_LOG_DIR (WebSdkIT sets it): keep the servers' logs there, for a failure's story.
    const logDir = process.env.PONTE_TEST_LOG_DIR;
    if (logDir) {
      mkdirSync(logDir, { recursive: true });
    }
    this.logFile = join(logDir || this.dir, `server-${process.pid}-${++serverCount}.log`);
    this.jwtSecret = randomBytes(32).toString('hex');
    this.adminToken = randomBytes(16).toString('hex');
    this.port = 0;
    this.process = null;
    this.exited = null;
  }

  get wsUrl() {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  get httpUrl() {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts the process (again, on the same port and data directory) and waits until ready. */
  async start() {
    if (this.process) {
      throw new Error('server already running');
    }
    const log = createWriteStream(this.logFile, { flags: 'a' });
    const args = [
      '-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1',
      '-cp', this.classpath, 'io.ponte.server.Main', 'serve',
      '--http-host', '127.0.0.1', '--http-port', String(this.port),
      '--data-dir', this.dataDir, '--jwt-secret', this.jwtSecret, '--admin-token', this.adminToken,
      '--shutdown-grace-ms', '1000',
      ...this.extraArgs,
    ];
    const child = spawn(this.java, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    this.process = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.process = null;
        resolve({ code, signal });
      });
      child.once('error', (err) => {
        this.process = null;
        resolve({ code: -1, signal: null, error: err });
      });
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let exited = null;
    this.exited.then((e) => { exited = e; });
    while (Date.now() < deadline) {
      if (exited) {
        throw new Error(`the Ponte server exited while starting (${JSON.stringify(exited)}):\n${this.logTail()}`);
      }
      try {
        const res = await fetch(`${this.httpUrl}/health/ready`);
        if (res.ok) {
          return;
        }
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    child.kill('SIGKILL');
    throw new Error(`the Ponte server was not ready within ${READY_TIMEOUT_MS} ms:\n${this.logTail()}`);
  }

  /**
   * Stops the process with `signal` and waits for it to exit.
   * @param {'SIGTERM'|'SIGKILL'} [signal] SIGTERM: graceful (Goodbye SERVER_SHUTDOWN); SIGKILL: a crash
   */
  async stop(signal = 'SIGTERM') {
    const child = this.process;
    if (!child) {
      return;
    }
    if (this.paused) {
      this.resume();
    }
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await this.exited;
    clearTimeout(timer);
  }

  /** A crash: SIGKILL. */
  kill() {
    return this.stop('SIGKILL');
  }

  /** Freezes the process (SIGSTOP): sockets stay open, nothing answers. */
  pause() {
    this.process.kill('SIGSTOP');
    this.paused = true;
  }

  /** SIGCONT after pause(). */
  resume() {
    this.process?.kill('SIGCONT');
    this.paused = false;
  }

  /** Stops the server and removes its files. */
  async dispose() {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }

  /**
   * A token the server accepts (HS256 with its secret; claims as TokenVerifier documents them).
   * @param {{user: string, name?: string, rooms?: Record<string, 'teacher'|'student'|'observer'>,
   *   ttlSeconds?: number, expiresAt?: number, guest?: boolean}} claims expiresAt in epoch seconds;
   *   guest adds the "guest" claim (the lobby's LOBBY_GUESTS mode)
   */
  token({ user, name = user, rooms = {}, ttlSeconds = 3600, expiresAt, guest = false }) {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const payload = base64url(JSON.stringify({
      sub: user, name, iat: now, exp: expiresAt ?? now + ttlSeconds, rooms, ...(guest ? { guest: true } : {}),
    }));
    const signature = createHmac('sha256', this.jwtSecret).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${signature}`;
  }

  /**
   * Creates a room through the admin API.
   * @param {string} id
   * @param {object} [settings] RoomSettings in the proto3 JSON mapping, e.g. {title: 'Biology'}
   */
  async createRoom(id, settings = {}) {
    const res = await fetch(`${this.httpUrl}/admin/rooms`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${this.adminToken}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ id, title: id, ...settings }),
    });
    if (res.status !== 201) {
      throw new Error(`creating room ${id}: HTTP ${res.status} ${await res.text()}`);
    }
    return res.json();
  }

  /** The last lines the server printed. */
  logTail(lines = 60) {
    try {
      return readFileSync(this.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no server log)';
    }
  }
}

export function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

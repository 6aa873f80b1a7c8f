# The Ponte server image: `docker build -t ponte-server:0.1.0-SNAPSHOT .` at the repository's root.
# Multi-stage: Maven (with Node for the web app) builds the server jar, a JRE runs it as a
# non-root user on a read-only root filesystem. Kubernetes manifests: ops/kubernetes.

FROM maven:3-eclipse-temurin-17 AS build
# The web module builds the classroom app with npm (Node 20 or newer).
COPY --from=node:20-bookworm-slim /usr/local/bin/node /usr/local/bin/node
COPY --from=node:20-bookworm-slim /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm && node --version && npm --version
WORKDIR /src
COPY . .
RUN mvn -B -q package -DskipTests -pl server -am

FROM eclipse-temurin:17-jre
LABEL org.opencontainers.image.title="ponte-server" \
      org.opencontainers.image.version="0.1.0-SNAPSHOT" \
      org.opencontainers.image.description="Ponte: a real-time server for cross-border virtual classrooms"
RUN groupadd --system --gid 10001 ponte \
 && useradd --system --uid 10001 --gid ponte --home-dir /data --shell /usr/sbin/nologin ponte \
 && mkdir -p /data && chown ponte:ponte /data && chmod 0700 /data
COPY --from=build /src/server/target/ponte-server.jar /opt/ponte/ponte-server.jar
COPY ops/docker/ponte-http /usr/local/bin/ponte-http
# SQLite and the generated secrets live in /data; the JVM unpacks its native libraries in /tmp.
# Both are volumes, so the root filesystem can be read-only (docker run --read-only).
ENV PONTE_DATA_DIR=/data \
    PONTE_HTTP_PORT=8080
VOLUME ["/data", "/tmp"]
USER 10001:10001
WORKDIR /data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=60s --retries=3 \
  CMD ["ponte-http", "GET", "/health/live"]
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=60", "-XX:+ExitOnOutOfMemoryError", "-jar", "/opt/ponte/ponte-server.jar"]
CMD ["serve"]

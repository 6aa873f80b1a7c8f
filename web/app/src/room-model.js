// The app's view of one room, built from Joined, events, history pages and the user's own
// pending sends. Plain data in the protocol's JSON-mapping shape (camelCase, 64-bit numbers as
// strings, enums by name), so it is testable without a browser.

const cmp = (a, b) => (BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0);

export class RoomModel {
  constructor(roomId, me) {
    this.roomId = roomId;
    this.me = me; // {userId, displayName}
    this.role = 'STUDENT';
    this.settings = { title: '', languages: [] };
    this.locked = false;
    this.studentChatEnabled = true;
    this.ended = false;
    this.closed = false; // no longer connected for good (removed, token expired, ...)
    this.muted = new Set();
    this.banned = new Set();
    this.messages = new Map(); // seq -> ChatMessage
    this.pending = new Map(); // clientMsgId -> {clientMsgId, text, language, replyTo, toTeachers, state, error, ackSeq}
    this.participants = new Map(); // userId -> Participant
    this.typing = new Map(); // userId -> expiry (ms)
    this.hands = []; // RaisedHand, queue order
    this.polls = new Map(); // pollId -> Poll, creation order
    this.myChoices = new Map(); // pollId -> [index]: kept locally (an anonymous poll forgets voters when it closes)
    this.moreHistory = false;
    this.lobbyMode = 'LOBBY_OFF';
    this.lobbyWaiting = []; // LobbyEntry, queue order (teachers only)
    this.reports = new Map(); // reportSeq -> Report (teachers only), filing order
    this.studentDefaults = new Map(); // Capability name -> 'GRANT_ALLOW' | 'GRANT_DENY'
    this.overrides = new Map(); // userId -> Map(Capability name -> grant); teachers: everyone's, students: their own
    this.effective = new Set(); // the snapshot's effective capabilities (before any change)
    this.joined = false;
    this.listeners = new Set();
  }

  /**
   * fn(topic, detail): topics 'messages' (bulk), 'message' (one seq), 'pending', 'participants',
   * 'room' (also on permission changes), 'typing', 'hands', 'polls', 'lobby', 'reports'.
   */
  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(topic, detail) {
    for (const fn of this.listeners) fn(topic, detail);
  }

  /** Messages oldest first. */
  orderedMessages() {
    return [...this.messages.values()].sort((a, b) => cmp(a.seq, b.seq));
  }

  oldestSeq() {
    let oldest = null;
    for (const seq of this.messages.keys()) if (oldest === null || cmp(seq, oldest) < 0) oldest = seq;
    return oldest;
  }

  isTeacher() {
    return this.role === 'TEACHER';
  }

  /** Why this user cannot post now (an i18n key), or null. */
  chatBlockedReason() {
    if (this.ended) return 'composer.blocked.ended';
    if (this.closed) return 'composer.blocked.closed';
    if (this.role === 'OBSERVER') return 'composer.blocked.observer';
    if (this.muted.has(this.me.userId)) return 'composer.blocked.muted';
    if (this.role === 'STUDENT' && !this.studentChatEnabled) return 'composer.blocked.chatOff';
    if (!this.can('CAPABILITY_CHAT')) return 'composer.blocked.capability';
    return null;
  }

  /**
   * Whether userId (default: this user) has a capability (a Capability name): teachers all,
   * observers none, a student their override or else the room's default for students.
   */
  can(capability, userId = this.me.userId) {
    const role = userId === this.me.userId ? this.role : this.participants.get(userId)?.role || 'STUDENT';
    if (role === 'TEACHER') return true;
    if (role === 'OBSERVER') return false;
    const own = this.overrides.get(userId)?.get(capability);
    if (own) return own === 'GRANT_ALLOW';
    const d = this.studentDefaults.get(capability);
    if (d) return d === 'GRANT_ALLOW';
    // No defaults known (a server without permissions): what the snapshot said, else allowed.
    return userId === this.me.userId && this.effective.size ? this.effective.has(capability) : true;
  }

  /** userId's override of a capability: 'GRANT_ALLOW', 'GRANT_DENY' or null (the room's default). */
  overrideOf(userId, capability) {
    return this.overrides.get(userId)?.get(capability) || null;
  }

  putOverride(o) {
    const grants = new Map((o.grants || []).map((g) => [g.capability, g.grant]));
    if (grants.size) this.overrides.set(o.userId, grants); else this.overrides.delete(o.userId);
  }

  /** Open reports first (oldest first), then resolved ones (newest first). */
  orderedReports() {
    const all = [...this.reports.values()];
    const open = all.filter((r) => r.status === 'REPORT_OPEN').sort((a, b) => cmp(a.reportSeq, b.reportSeq));
    const done = all.filter((r) => r.status !== 'REPORT_OPEN').sort((a, b) => cmp(b.reportSeq, a.reportSeq));
    return [...open, ...done];
  }

  applyJoined(j) {
    this.role = j.role || this.role;
    if (j.reset) {
      const s = j.snapshot || {};
      this.settings = { title: '', languages: [], ...(s.settings || {}) };
      this.settings.languages = [...(this.settings.languages || [])];
      this.locked = !!s.locked;
      this.studentChatEnabled = !!s.studentChatEnabled;
      this.ended = !!s.ended;
      this.muted = new Set(s.mutedUserIds || []);
      this.banned = new Set(s.bannedUserIds || []);
      this.messages = new Map();
      for (const m of s.recentMessages || []) this.putMessage(m);
      this.moreHistory = !!s.moreHistory;
      this.hands = (s.raisedHands || []).map((x) => ({ ...x }));
      this.polls = new Map();
      for (const p of s.polls || []) this.putPoll(p);
      const lobby = s.lobby || {};
      this.lobbyMode = lobby.mode || (s.settings && s.settings.lobby) || 'LOBBY_OFF';
      this.lobbyWaiting = (lobby.waiting || []).map((e) => ({ ...e }));
      this.reports = new Map();
      for (const r of s.reports || []) this.reports.set(String(r.reportSeq), { ...r, reportSeq: String(r.reportSeq) });
      const perms = s.permissions || {};
      this.effective = new Set(perms.effective || []);
      this.studentDefaults = new Map((perms.studentDefaults || []).map((g) => [g.capability, g.grant]));
      this.overrides = new Map();
      for (const o of perms.overrides || []) this.putOverride(o);
      const br = s.breakouts || {};
      this.breakoutRound = br.open && !br.open.closed ? cloneRound(br.open) : null;
    } else {
      for (const ev of j.missed || []) this.applyEvent(ev, true);
    }
    this.participants = new Map((j.participants || []).map((p) => [p.userId, p]));
    this.typing.clear();
    this.joined = true;
    this.emit('room');
    this.emit('messages');
    this.emit('participants');
    this.emit('pending');
    this.emit('hands');
    this.emit('polls');
    this.emit('lobby');
    this.emit('reports');
    this.emit('breakouts');
  }

  /** The breakout {roomId, name} the user `userId` (default: me) is placed in, or null. */
  breakoutOf(userId = this.me.userId) {
    const r = this.breakoutRound;
    const place = r && r.places.find((p) => p.userId === userId);
    return (place && place.roomId && r.breakouts.find((b) => b.roomId === place.roomId)) || null;
  }

  /** The raised hand of userId and its place in the queue (1 first), or null. */
  handOf(userId) {
    const i = this.hands.findIndex((x) => x.userId === userId);
    return i < 0 ? null : { hand: this.hands[i], position: i + 1 };
  }

  putPoll(p) {
    const poll = {
      ...p, options: [...(p.options || [])], correctOptions: [...(p.correctOptions || [])],
      myChoices: [...(p.myChoices || [])], ballots: [...(p.ballots || [])],
      counts: p.counts ? { perOption: [...(p.counts.perOption || [])], voters: p.counts.voters || 0 } : null,
    };
    if (poll.myChoices.length) this.myChoices.set(poll.pollId, [...poll.myChoices]);
    this.polls.set(poll.pollId, poll);
  }

  putMessage(m) {
    this.messages.set(String(m.seq), { ...m, seq: String(m.seq), reactions: (m.reactions || []).map((r) => ({ reaction: r.reaction, userIds: [...(r.userIds || [])] })) });
    if (m.clientMsgId && m.author && m.author.userId === this.me.userId && this.pending.delete(m.clientMsgId)) {
      this.emit('pending');
    }
  }

  /** Applies one event; `quiet` skips per-message notifications (the caller emits in bulk). */
  applyEvent(ev, quiet = false) {
    const note = (topic, detail) => { if (!quiet) this.emit(topic, detail); };
    if (ev.chatPosted) {
      this.putMessage(ev.chatPosted);
      note('message', { seq: String(ev.chatPosted.seq), added: true });
      // Whoever just posted is done typing (their "stopped typing" may have been rate-limited away).
      if (ev.chatPosted.author && this.typing.delete(ev.chatPosted.author.userId)) note('typing');
    } else if (ev.chatEdited) {
      const m = this.messages.get(String(ev.chatEdited.messageSeq));
      if (m) {
        m.text = ev.chatEdited.text;
        m.editedMs = ev.serverTimeMs || String(Date.now());
        note('message', { seq: m.seq });
      }
    } else if (ev.chatDeleted) {
      const m = this.messages.get(String(ev.chatDeleted.messageSeq));
      if (m) {
        m.deleted = true;
        m.text = '';
        note('message', { seq: m.seq });
      }
    } else if (ev.participantErased) {
      // An administrator erased a participant: their messages become placeholders under the
      // pseudonym (their reactions and board elements go with the next snapshot).
      const { pseudonym, messageSeqs = [] } = ev.participantErased;
      for (const seq of messageSeqs) {
        const m = this.messages.get(String(seq));
        if (m) {
          m.deleted = true;
          m.text = '';
          m.reactions = [];
          m.author = { ...m.author, userId: pseudonym, displayName: '' };
          note('message', { seq: m.seq });
        }
      }
    } else if (ev.reactionChanged) {
      const rc = ev.reactionChanged;
      const m = this.messages.get(String(rc.messageSeq));
      if (m) {
        let r = m.reactions.find((x) => x.reaction === rc.reaction);
        if (rc.added) {
          if (!r) m.reactions.push((r = { reaction: rc.reaction, userIds: [] }));
          if (!r.userIds.includes(rc.userId)) r.userIds.push(rc.userId);
        } else if (r) {
          r.userIds = r.userIds.filter((u) => u !== rc.userId);
          if (!r.userIds.length) m.reactions = m.reactions.filter((x) => x !== r);
        }
        note('message', { seq: m.seq });
      }
    } else if (ev.participantMuted) {
      const { userId, muted } = ev.participantMuted;
      if (muted) this.muted.add(userId); else this.muted.delete(userId);
      note('participants');
      note('room');
    } else if (ev.participantRemoved) {
      this.banned.add(ev.participantRemoved.userId);
      this.participants.delete(ev.participantRemoved.userId);
      // A removed user's hand goes down at this seq, with no event of its own.
      const before = this.hands.length;
      this.hands = this.hands.filter((x) => x.userId !== ev.participantRemoved.userId);
      if (this.hands.length !== before) note('hands');
      note('participants');
      note('room');
    } else if (ev.banLifted) {
      this.banned.delete(ev.banLifted.userId);
      note('room');
    } else if (ev.roomLocked) {
      this.locked = !!ev.roomLocked.locked;
      note('room');
    } else if (ev.studentChatChanged) {
      this.studentChatEnabled = !!ev.studentChatChanged.enabled;
      note('room');
    } else if (ev.sessionEnded || ev.roomClosed) {
      this.ended = true;
      note('room');
    } else if (ev.handRaised) {
      const hand = ev.handRaised.hand || {};
      this.hands = this.hands.filter((x) => x.userId !== hand.userId);
      this.hands.push({ ...hand });
      note('hands');
      note('participants');
    } else if (ev.handLowered) {
      const { userId, all } = ev.handLowered;
      if (all) this.hands = [];
      else this.hands = this.hands.filter((x) => x.userId !== userId);
      note('hands');
      note('participants');
    } else if (ev.breakoutsChanged) {
      const round = ev.breakoutsChanged.round;
      this.breakoutRound = round && !round.closed ? cloneRound(round) : null;
      note('breakouts', { closed: !this.breakoutRound });
    } else if (ev.breakoutMoved) {
      const r = this.breakoutRound;
      const place = ev.breakoutMoved.place;
      if (r && place && String(ev.breakoutMoved.roundSeq) === String(r.roundSeq)) {
        r.places = r.places.filter((p) => p.userId !== place.userId);
        if (place.roomId) r.places.push({ ...place });
        note('breakouts', {});
      }
    } else if (ev.breakoutBroadcast) {
      note('breakouts', { broadcast: ev.breakoutBroadcast.text || '' });
    } else if (ev.pollChanged) {
      const pc = ev.pollChanged;
      const old = this.polls.get(pc.pollId);
      if (pc.created) this.putPoll(pc.created);
      else if (pc.opened) {
        // Teachers keep what they know (correct options, counts); others get the poll as opened.
        if (old) old.status = 'POLL_STATUS_OPEN';
        else this.putPoll({ ...pc.opened, status: 'POLL_STATUS_OPEN' });
      } else if (pc.closed) {
        if (old) old.status = 'POLL_STATUS_CLOSED';
      } else if (pc.deleted) {
        this.polls.delete(pc.pollId);
        this.myChoices.delete(pc.pollId);
      }
      note('polls', { pollId: pc.pollId });
    } else if (ev.pollCounts) {
      const p = this.polls.get(ev.pollCounts.pollId);
      if (p) {
        const c = ev.pollCounts.counts || {};
        p.counts = { perOption: [...(c.perOption || [])], voters: c.voters || 0 };
        const b = ev.pollCounts.ballot;
        if (b) p.ballots = [...(p.ballots || []).filter((x) => x.userId !== b.userId), b];
        note('polls', { pollId: p.pollId });
      }
    } else if (ev.pollResults) {
      const p = this.polls.get(ev.pollResults.pollId);
      if (p) {
        const c = ev.pollResults.counts || {};
        p.counts = { perOption: [...(c.perOption || [])], voters: c.voters || 0 };
        p.correctOptions = [...(ev.pollResults.correctOptions || [])];
        p.resultsShared = true;
        if (p.status !== 'POLL_STATUS_CLOSED') p.status = 'POLL_STATUS_CLOSED';
        note('polls', { pollId: p.pollId });
      }
    } else if (ev.lobbyKnocked) {
      const e = ev.lobbyKnocked.entry || {};
      this.lobbyWaiting = [...this.lobbyWaiting.filter((x) => x.userId !== e.userId), { ...e }];
      note('lobby');
    } else if (ev.lobbyLeft) {
      const gone = new Set(ev.lobbyLeft.userIds || []);
      this.lobbyWaiting = this.lobbyWaiting.filter((x) => !gone.has(x.userId));
      note('lobby');
    } else if (ev.lobbyModeChanged) {
      this.lobbyMode = ev.lobbyModeChanged.mode || 'LOBBY_OFF';
      const admitted = new Set(ev.lobbyModeChanged.admittedUserIds || []);
      this.lobbyWaiting = this.lobbyWaiting.filter((x) => !admitted.has(x.userId));
      note('lobby');
    } else if (ev.reportFiled) {
      const r = ev.reportFiled.report || {};
      this.reports.set(String(r.reportSeq), { ...r, reportSeq: String(r.reportSeq) });
      note('reports');
    } else if (ev.reportResolved) {
      const rr = ev.reportResolved;
      const r = this.reports.get(String(rr.reportSeq));
      if (r) Object.assign(r, { status: rr.status, resolvedByUserId: rr.resolvedByUserId, resolvedByName: rr.resolvedByName, resolvedMs: rr.resolvedMs });
      note('reports');
    } else if (ev.permissionsChanged) {
      const pc = ev.permissionsChanged;
      if (pc.userId) this.putOverride({ ...(pc.override || {}), userId: pc.userId });
      else this.studentDefaults = new Map((pc.studentDefaults || []).map((g) => [g.capability, g.grant]));
      note('participants');
      note('room');
    } else if (ev.presence) {
      const { kind, participant: p } = ev.presence;
      if (kind === 'LEFT') {
        this.participants.delete(p.userId);
        this.typing.delete(p.userId);
      } else {
        this.participants.set(p.userId, p);
      }
      note('participants');
    } else if (ev.typing) {
      const { userId, typing } = ev.typing;
      if (userId !== this.me.userId) {
        if (typing) this.typing.set(userId, Date.now() + 6000); else this.typing.delete(userId);
        note('typing');
      }
    }
  }

  addHistory(page) {
    for (const m of page.messages || []) if (!this.messages.has(String(m.seq))) this.putMessage(m);
    this.moreHistory = !!page.more;
    this.emit('messages', { prepended: true });
  }

  addPending(p) {
    this.pending.set(p.clientMsgId, { state: 'sending', ...p });
    this.emit('pending');
  }

  acked(clientMsgId, seq) {
    const p = this.pending.get(clientMsgId);
    if (!p) return;
    if (this.messages.has(String(seq))) this.pending.delete(clientMsgId);
    else p.ackSeq = String(seq);
    this.emit('pending');
  }

  failed(clientMsgId, error) {
    const p = this.pending.get(clientMsgId);
    if (!p) return;
    p.state = 'failed';
    p.error = error;
    this.emit('pending');
  }

  dropPending(clientMsgId) {
    if (this.pending.delete(clientMsgId)) this.emit('pending');
  }

  /** Users typing now (expired entries dropped). */
  typingNames() {
    const now = Date.now();
    const names = [];
    for (const [userId, until] of this.typing) {
      if (until < now) this.typing.delete(userId);
      else names.push(this.participants.get(userId)?.displayName || userId);
    }
    return names;
  }
}

function cloneRound(r) {
  return {
    ...r, roundSeq: String(r.roundSeq || '0'), endsAtMs: String(r.endsAtMs || '0'),
    breakouts: (r.breakouts || []).map((b) => ({ ...b })), places: (r.places || []).map((p) => ({ ...p })),
  };
}

// session.plain: protobuf objects to the model's plain shape; the same field name means a
// different enum under a different parent (a report's status is not a poll's).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plain } from '../src/session.js';
import { pb } from '../../sdk/src/index.js';

test('enums by name, by parent: lobby, reports, permissions, polls and hands', () => {
  assert.deepEqual(plain({ state: pb.LobbyStatus.State.WAITING, position: 2 }, 'lobbyStatus'), { state: 'WAITING', position: 2 });
  const ev = plain({
    reportFiled: { report: { reportSeq: 7, reason: pb.ReportReason.SPAM, status: pb.ReportStatus.REPORT_OPEN } },
    lobbyLeft: { userIds: ['a'], reason: pb.LobbyLeft.Reason.DENIED },
    handLowered: { userId: 'b', reason: pb.HandLowered.Reason[Object.keys(pb.HandLowered.Reason)[1]] },
  });
  assert.deepEqual(ev.reportFiled.report, { reportSeq: '7', reason: 'SPAM', status: 'REPORT_OPEN' });
  assert.equal(ev.lobbyLeft.reason, 'DENIED');
  assert.equal(ev.handLowered.reason, Object.keys(pb.HandLowered.Reason)[1]);
  const snap = plain({
    snapshot: {
      lobby: { mode: pb.LobbyMode.LOBBY_GUESTS },
      reports: [{ reportSeq: 3, status: pb.ReportStatus.REPORT_DISMISSED, reason: pb.ReportReason.OTHER_REASON }],
      polls: [{ pollId: 'p', status: pb.PollStatus.POLL_STATUS_OPEN }],
      permissions: {
        effective: [pb.Capability.CAPABILITY_CHAT],
        studentDefaults: [{ capability: pb.Capability.CAPABILITY_WHITEBOARD, grant: pb.Grant.GRANT_DENY }],
      },
    },
  });
  assert.equal(snap.snapshot.lobby.mode, 'LOBBY_GUESTS');
  assert.deepEqual(snap.snapshot.reports[0], { reportSeq: '3', status: 'REPORT_DISMISSED', reason: 'OTHER_REASON' });
  assert.equal(snap.snapshot.polls[0].status, 'POLL_STATUS_OPEN');
  assert.deepEqual(snap.snapshot.permissions.effective, ['CAPABILITY_CHAT']);
  assert.deepEqual(snap.snapshot.permissions.studentDefaults, [{ capability: 'CAPABILITY_WHITEBOARD', grant: 'GRANT_DENY' }]);
});

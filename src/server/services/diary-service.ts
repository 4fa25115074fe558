// DiaryService: the caller's entries. Every query is keyed on the caller's id, so another user's
// entry is indistinguishable from a missing one (NotFound either way).
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import { deleteDiary, getDiary } from '../../db/diaries.js';
import { saveDiaryForUser } from '../../db/diary-save.js';
import { monthDays } from '../../db/summary-views.js';
import {
  DiaryDaySchema,
  DiarySchema,
  DiaryService,
  type Diary,
} from '../../gen/diary/v1/diaries_pb.js';
import { callerOf } from '../auth.js';
import { publishOnSave, type PublishOnSaveDeps } from '../publish-on-save.js';
import { statusOf } from '../summary-status.js';
import { requireContent, requireDate, requireMonth } from '../validate.js';
import { inSpan, remoteParent, SpanKind } from '../../spans.js';

function toDiary(row: { date: string; content: string; created_at: Date; updated_at: Date }): Diary {
  return create(DiarySchema, {
    date: row.date,
    content: row.content,
    createdAt: timestampFromDate(row.created_at),
    updatedAt: timestampFromDate(row.updated_at),
  });
}

function notFound(date: string): ConnectError {
  return new ConnectError(`no diary on ${date}`, Code.NotFound);
}

export function diaryService(deps: PublishOnSaveDeps): ServiceImpl<typeof DiaryService> {
  const { db } = deps;
  return {
    async saveDiary(req, ctx) {
      const caller = callerOf(ctx);
      const date = requireDate(req.date);
      requireContent(req.content);
      // The root of the save's trace: the job it publishes, and the subscriber's run of it, follow.
      return inSpan(
        'diary save',
        async (span) => {
          const saved = await saveDiaryForUser(db, caller.userId, date, req.content);
          // The diary is committed at this point: whatever happens to the job, the entry is not lost.
          const { queued, note } = await publishOnSave(deps, caller, saved);
          if (span.isRecording()) span.setAttributes({ 'diary.content_chars': saved.content_chars, 'diary.summary_queued': queued });
          return { diary: toDiary(saved), summaryQueued: queued, note };
        },
        {
          kind: SpanKind.SERVER,
          // A client that sends a traceparent header gets the save in its own trace.
          parent: remoteParent(ctx.requestHeader.get('traceparent') ?? undefined),
          attributes: { 'diary.user_id': caller.userId, 'diary.date': date, 'rpc.method': 'diary.v1.DiaryService/SaveDiary' },
        },
      );
    },
    async getDiary(req, ctx) {
      const caller = callerOf(ctx);
      const date = requireDate(req.date);
      const row = await getDiary(db, caller.userId, date);
      if (!row) throw notFound(date);
      return { diary: toDiary(row) };
    },
    async listDiaries(req, ctx) {
      const caller = callerOf(ctx);
      requireMonth(req.year, req.month);
      const rows = await monthDays(db, caller.userId, req.year, req.month);
      return {
        days: rows.map((r) => create(DiaryDaySchema, { diary: toDiary(r), summaryStatus: statusOf(r.status, r.needs_summary) })),
      };
    },
    async deleteDiary(req, ctx) {
      const caller = callerOf(ctx);
      const date = requireDate(req.date);
      if (!(await deleteDiary(db, caller.userId, date))) throw notFound(date);
      return {};
    },
  };
}

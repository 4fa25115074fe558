// One day: write or edit its entry, and watch its daily summary arrive.
import { useEffect, useState, type FormEvent } from 'react';
import type { Diary } from '../../../src/gen/diary/v1/diaries_pb';
import { Code, diaryClient, errorCode, errorMessage, summaryClient, tsDate } from '../api';
import { addDays, formatDateTime, isValidDate, monthKey, monthOf, todayIn } from '../dates';
import { useI18n } from '../i18n';
import { linkProps } from '../router';
import { useSession } from '../session';
import { Notice } from '../components/Notice';
import { DayHistory } from '../components/DayHistory';
import { SummaryPanel, type Trigger } from '../components/SummaryPanel';

export function DayPage({ date }: { date: string }) {
  const { t } = useI18n();
  if (!isValidDate(date)) return <Notice kind="error">{t.notFound}</Notice>;
  return <DayView date={date} />;
}

function DayView({ date }: { date: string }) {
  const { t, lang } = useI18n();
  const { user } = useSession();
  const today = todayIn(user?.timezone);
  const [diary, setDiary] = useState<Diary | null | undefined>(undefined);
  const [content, setContent] = useState('');
  const [loadError, setLoadError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<string | null>(null);
  const [saveInfo, setSaveInfo] = useState<{ text: string; note: string } | null>(null);
  const [trigger, setTrigger] = useState<Trigger>({ epoch: 0 });

  useEffect(() => {
    let cancelled = false;
    diaryClient
      .getDiary({ date })
      .then((res) => {
        if (cancelled) return;
        setDiary(res.diary ?? null);
        setContent(res.diary?.content ?? '');
      })
      .catch((err: unknown) => {
        if (cancelled) return;
        if (errorCode(err) === Code.NotFound) {
          setDiary(null);
          setContent('');
        } else setLoadError(errorMessage(err));
      });
    return () => {
      cancelled = true;
    };
  }, [date]);

  const dirty = diary !== undefined && content !== (diary?.content ?? '');

  async function save(e: FormEvent) {
    e.preventDefault();
    setSaving(true);
    setSaveError(null);
    setSaveInfo(null);
    try {
      const res = await diaryClient.saveDiary({ date, content });
      const saved = res.diary ?? null;
      setDiary(saved);
      if (saved) setContent(saved.content);
      setSaveInfo({ text: res.summaryQueued ? t.savedQueued : t.saved, note: res.note });
      if (res.summaryQueued) {
        setTrigger((prev) => ({ epoch: prev.epoch + 1, since: tsDate(saved?.updatedAt) ?? new Date(Date.now() - 2000) }));
      }
    } catch (err) {
      setSaveError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  }

  async function remove() {
    if (!window.confirm(t.confirmDelete)) return;
    try {
      await diaryClient.deleteDiary({ date });
      setDiary(null);
      setContent('');
      setSaveInfo({ text: t.deleted, note: '' });
    } catch (err) {
      setSaveError(errorMessage(err));
    }
  }

  const blocked = date >= today ? t.dayNotOver : !diary ? t.noEntry : undefined;
  const month = monthKey(monthOf(date));

  return (
    <div className="day-page" data-testid="day-page" data-date={date}>
      <div className="page-head">
        <div>
          <a className="muted small" {...linkProps(`/month/${month}`)} data-testid="back-to-month">
            {t.backToMonth}
          </a>
          <h1 data-testid="day-title">{t.dayTitle(date)}</h1>
        </div>
        <div className="pager">
          <a className="btn btn-ghost" {...linkProps(`/day/${addDays(date, -1)}`)} data-testid="prev-day">
            ‹
          </a>
          <a className="btn btn-ghost" {...linkProps(`/day/${addDays(date, 1)}`)} data-testid="next-day">
            ›
          </a>
        </div>
      </div>
      {loadError && <Notice kind="error">{loadError}</Notice>}
      <div className="layout-2">
        <form className="card editor-card" onSubmit={save}>
          <header className="card-head">
            <h2>{t.entry}</h2>
            {dirty && <span className="muted small">{t.unsaved}</span>}
          </header>
          <textarea
            className="editor"
            value={content}
            placeholder={t.entryPlaceholder}
            onChange={(e) => setContent(e.target.value)}
            disabled={diary === undefined}
            rows={16}
            data-testid="diary-content"
          />
          <div className="editor-foot">
            <span className="muted small" data-testid="char-count">
              {t.characters([...content].length, 0)}
            </span>
            {diary?.updatedAt && (
              <span className="muted small">
                {t.updated}: {formatDateTime(tsDate(diary.updatedAt), lang)}
              </span>
            )}
          </div>
          <div className="actions">
            <button type="submit" className="btn btn-primary" disabled={saving || !dirty || content.trim() === ''} data-testid="diary-save">
              {saving ? t.saving : t.save}
            </button>
            {diary && (
              <button type="button" className="btn btn-danger-ghost" onClick={remove} data-testid="diary-delete">
                {t.delete}
              </button>
            )}
          </div>
          {saveError && (
            <Notice kind="error" testId="save-error">
              {saveError}
            </Notice>
          )}
          {saveInfo && (
            <Notice kind="ok" testId="save-info">
              {saveInfo.text}
              {saveInfo.note && (
                <span className="note" data-testid="save-note">
                  {' '}
                  {saveInfo.note}
                </span>
              )}
            </Notice>
          )}
        </form>
        <SummaryPanel
          key={date}
          kind="daily"
          title={t.dailySummary}
          load={() => summaryClient.getDailySummary({ date })}
          request={async () => (await summaryClient.requestSummary({ target: { case: 'date', value: date } })).summary}
          requestBlocked={blocked}
          trigger={trigger}
        />
      </div>
      <DayHistory key={`history-${date}`} date={date} />
    </div>
  );
}

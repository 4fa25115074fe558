import type { StatusName } from '../api';
import { useI18n } from '../i18n';

export function StatusBadge({ status, testId }: { status: StatusName; testId?: string }) {
  const { t } = useI18n();
  return (
    <span className={`badge badge-${status}`} data-testid={testId} data-status={status} title={t.statusHelp[status]}>
      {t.status[status]}
    </span>
  );
}

import type { ReactNode } from 'react';

export function Notice({ kind, children, testId }: { kind: 'error' | 'info' | 'ok'; children: ReactNode; testId?: string }) {
  return (
    <div className={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'} data-testid={testId}>
      {children}
    </div>
  );
}

import { useState, type FormEvent } from 'react';
import { authClient, errorMessage } from '../api';
import { browserTimeZone } from '../dates';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { Notice } from '../components/Notice';

export function SignInPage() {
  const { t } = useI18n();
  const { signedIn } = useSession();
  const [mode, setMode] = useState<'signin' | 'signup'>('signin');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [timezone, setTimezone] = useState(browserTimeZone);
  const [registerKey, setRegisterKey] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res =
        mode === 'signin'
          ? await authClient.signIn({ email, password })
          : await authClient.signUp({ email, password, name, timezone, registerKey });
      // Forget the password before leaving the page.
      setPassword('');
      await signedIn(res.token, res.user);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  }

  const signup = mode === 'signup';
  return (
    <div className="auth-wrap">
      <form className="card auth-card" onSubmit={submit} data-testid={signup ? 'signup-form' : 'signin-form'}>
        <div className="tabs" role="tablist">
          <button
            type="button"
            role="tab"
            aria-selected={!signup}
            className={!signup ? 'tab active' : 'tab'}
            onClick={() => setMode('signin')}
            data-testid="tab-signin"
          >
            {t.signIn}
          </button>
          <button
            type="button"
            role="tab"
            aria-selected={signup}
            className={signup ? 'tab active' : 'tab'}
            onClick={() => setMode('signup')}
            data-testid="tab-signup"
          >
            {t.signUp}
          </button>
        </div>
        <label className="field">
          <span>{t.email}</span>
          <input
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            data-testid="auth-email"
          />
        </label>
        <label className="field">
          <span>{t.password}</span>
          <input
            type="password"
            autoComplete={signup ? 'new-password' : 'current-password'}
            required
            minLength={signup ? 8 : undefined}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            data-testid="auth-password"
          />
          {signup && <small className="hint">{t.passwordHint}</small>}
        </label>
        {signup && (
          <>
            <label className="field">
              <span>{t.name}</span>
              <input type="text" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} data-testid="auth-name" />
            </label>
            <label className="field">
              <span>{t.timezone}</span>
              <input type="text" value={timezone} onChange={(e) => setTimezone(e.target.value)} data-testid="auth-timezone" />
            </label>
            <label className="field">
              <span>{t.registerKey}</span>
              <input
                type="password"
                autoComplete="off"
                value={registerKey}
                onChange={(e) => setRegisterKey(e.target.value)}
                data-testid="auth-register-key"
              />
              <small className="hint">{t.registerKeyHint}</small>
            </label>
          </>
        )}
        {error && (
          <Notice kind="error" testId="auth-error">
            {error}
          </Notice>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy} data-testid="auth-submit">
          {signup ? t.createAccount : t.signIn}
        </button>
        <p className="muted small center">
          {signup ? t.haveAccount : t.noAccount}{' '}
          <button type="button" className="linklike" onClick={() => setMode(signup ? 'signin' : 'signup')}>
            {signup ? t.signIn : t.signUp}
          </button>
        </p>
      </form>
    </div>
  );
}

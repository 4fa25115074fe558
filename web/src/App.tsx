import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { detectLang, dictionary, I18nContext, type Lang, useI18n } from './i18n';
import { linkProps, navigate, parseRoute, usePath } from './router';
import { SessionProvider, useSession } from './session';
import { SignInPage } from './pages/SignInPage';
import { MonthPage } from './pages/MonthPage';
import { DayPage } from './pages/DayPage';
import { SettingsPage } from './pages/SettingsPage';
import { DashboardPage } from './pages/DashboardPage';

export function App() {
  const [lang, setLangState] = useState<Lang>(detectLang);
  const i18n = useMemo(
    () => ({
      lang,
      t: dictionary(lang),
      setLang: (l: Lang) => {
        sessionStorage.setItem('diary.lang', l);
        setLangState(l);
      },
    }),
    [lang],
  );
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  return (
    <I18nContext.Provider value={i18n}>
      <SessionProvider>
        <Shell />
      </SessionProvider>
    </I18nContext.Provider>
  );
}

function Shell() {
  const { t, lang, setLang } = useI18n();
  const { user, checking, signOut } = useSession();
  const path = usePath();
  const route = parseRoute(path);

  useEffect(() => {
    if (checking) return;
    if (!user && route.name !== 'signin') navigate('/signin', true);
    if (user && route.name === 'signin') navigate('/', true);
  }, [user, checking, route.name]);

  useEffect(() => {
    document.title = `${t.appName}`;
  }, [t]);

  if (checking) return <div className="loading">{t.loading}</div>;

  let page: ReactNode;
  if (!user) page = <SignInPage />;
  else {
    switch (route.name) {
      case 'month':
        page = <MonthPage month={route.month} />;
        break;
      case 'day':
        page = <DayPage key={route.date} date={route.date} />;
        break;
      case 'settings':
        page = <SettingsPage />;
        break;
      case 'admin':
        page = user.admin ? <DashboardPage /> : <p className="notice notice-error" data-testid="not-admin">{t.notAdmin}</p>;
        break;
      case 'signin':
        page = null;
        break;
      default:
        page = <p className="notice notice-error">{t.notFound}</p>;
    }
  }

  const nav = (to: string, label: string, active: boolean, testId: string) => (
    <a {...linkProps(to)} className={active ? 'active' : undefined} data-testid={testId}>
      {label}
    </a>
  );

  return (
    <div className="app">
      <header className="topbar">
        <a {...linkProps('/')} className="brand">
          <span className="brand-mark" aria-hidden="true" />
          {t.appName}
        </a>
        {user && (
          <nav className="nav">
            {nav('/', t.navDiary, route.name === 'month' || route.name === 'day', 'nav-diary')}
            {nav('/settings', t.navSettings, route.name === 'settings', 'nav-settings')}
            {user.admin && nav('/admin', t.navDashboard, route.name === 'admin', 'nav-admin')}
          </nav>
        )}
        <div className="topbar-right">
          <select
            aria-label={t.language}
            className="lang-select"
            value={lang}
            onChange={(e) => setLang(e.target.value as Lang)}
            data-testid="lang-select"
          >
            <option value="en">English</option>
            <option value="ja">日本語</option>
          </select>
          {user && (
            <>
              <span className="user-email" data-testid="user-email">
                {user.name || user.email}
              </span>
              <button type="button" className="btn btn-ghost" onClick={signOut} data-testid="sign-out">
                {t.signOut}
              </button>
            </>
          )}
        </div>
      </header>
      <main className="content">{page}</main>
    </div>
  );
}

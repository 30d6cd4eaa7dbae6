// The console: signed out, the sign-in and sign-up pages; signed in, the chatbots.
import { useEffect, useState } from "preact/hooks";
import type { SignedInUser } from "./api/client";
import { Button, ErrorNote, Loading, useAction } from "./components/ui";
import { useConsole } from "./context";
import { docsUrl } from "./links";
import { Chatbot } from "./pages/Chatbot";
import { Chatbots } from "./pages/Chatbots";
import { Inbox } from "./pages/Inbox";
import { Keys } from "./pages/Keys";
import { JoinSignedOut, SignIn, SignUp } from "./pages/Auth";
import { Join, Team } from "./pages/Team";
import { Usage } from "./pages/Usage";
import { href, navigate, useRoute } from "./router";

export function App() {
  const { api, session } = useConsole();
  const route = useRoute();
  const [user, setUser] = useState<SignedInUser | null>(null);
  const [signedIn, setSignedIn] = useState(session.signedIn);
  const [notice, setNotice] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  useEffect(
    () =>
      session.onChange((now) => {
        setSignedIn(now);
        if (!now) {
          setUser(null);
          navigate({ page: "signin" });
        }
      }),
    [],
  );
  // The profile is read again when a role or team may have changed (a transfer, an accepted invitation).
  const loadMe = () => {
    setError(null);
    api.me().then(setUser, (caught) => {
      if (session.signedIn) setError(caught);
      else setNotice("Your session has ended. Sign in again.");
    });
  };
  useEffect(() => {
    if (signedIn) loadMe();
  }, [signedIn]);

  if (!signedIn) {
    if (route.page === "join") return <JoinSignedOut code={route.code} />;
    return route.page === "signup" ? <SignUp /> : <SignIn notice={notice} />;
  }
  if (user === null) {
    return <main id="main">{error ? <ErrorNote error={error} /> : <Loading what="your account" />}</main>;
  }
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Header user={user} />
      {route.page === "chatbot" ? (
        <Chatbot id={route.id} tab={route.tab} />
      ) : route.page === "keys" ? (
        user.role === "owner" ? (
          <Keys />
        ) : (
          <main id="main">
            <h1>API keys</h1>
            <p>Only the organization's owner manages API keys.</p>
          </main>
        )
      ) : route.page === "team" ? (
        <Team me={user} onChanged={loadMe} />
      ) : route.page === "join" ? (
        <Join
          code={route.code}
          onJoined={() => {
            loadMe();
            navigate({ page: "team" });
          }}
        />
      ) : route.page === "usage" ? (
        <Usage />
      ) : route.page === "inbox" ? (
        <Inbox me={user} />
      ) : route.page === "missing" ? (
        <main id="main">
          <h1>Page not found</h1>
          <p>
            <a href={href({ page: "chatbots" })}>See your chatbots</a>
          </p>
        </main>
      ) : (
        <Chatbots />
      )}
    </>
  );
}

function Header({ user }: { user: SignedInUser }) {
  const { config, session } = useConsole();
  const signOut = useAction();
  return (
    <header class="top">
      <p class="brand">
        <a href={href({ page: "chatbots" })}>Parley</a>
        <span class="organization">{user.organization}</span>
      </p>
      <nav aria-label="Console">
        <a href={href({ page: "chatbots" })}>Chatbots</a>
        <a href={href({ page: "inbox" })}>Inbox</a>
        <a href={href({ page: "team" })}>Team</a>
        <a href={href({ page: "usage" })}>Usage</a>
        {user.role === "owner" && <a href={href({ page: "keys" })}>API keys</a>}
        <a href={docsUrl(config.apiUrl)}>API reference</a>
      </nav>
      <p class="who">
        <span class="email">{user.email}</span> ({user.role})
      </p>
      <Button variant="plain" busy={signOut.busy} busyLabel="Signing out…" onClick={() => signOut.run(() => session.signOut())}>
        Sign out
      </Button>
      <ErrorNote error={signOut.error} />
    </header>
  );
}

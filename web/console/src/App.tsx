// The console: signed out, the sign-in and sign-up pages; signed in, the chatbots.
import { useEffect, useState } from "preact/hooks";
import type { UserProfile } from "./api/client";
import { Button, ErrorNote, Loading, useAction } from "./components/ui";
import { useConsole } from "./context";
import { Chatbot } from "./pages/Chatbot";
import { Chatbots } from "./pages/Chatbots";
import { SignIn, SignUp } from "./pages/Auth";
import { Usage } from "./pages/Usage";
import { href, navigate, useRoute } from "./router";

export function App() {
  const { api, session } = useConsole();
  const route = useRoute();
  const [user, setUser] = useState<UserProfile | null>(null);
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
  useEffect(() => {
    if (!signedIn) return;
    setError(null);
    api.me().then(setUser, (caught) => {
      if (session.signedIn) setError(caught);
      else setNotice("Your session has ended. Sign in again.");
    });
  }, [signedIn]);

  if (!signedIn) {
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
      ) : route.page === "usage" ? (
        <Usage />
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

function Header({ user }: { user: UserProfile }) {
  const { session } = useConsole();
  const signOut = useAction();
  return (
    <header class="top">
      <a class="brand" href={href({ page: "chatbots" })}>
        Parley
      </a>
      <nav aria-label="Account">
        <a href={href({ page: "usage" })}>Usage</a>
      </nav>
      <span class="who">{user.email}</span>
      <Button variant="plain" busy={signOut.busy} busyLabel="Signing out…" onClick={() => signOut.run(() => session.signOut())}>
        Sign out
      </Button>
      <ErrorNote error={signOut.error} />
    </header>
  );
}

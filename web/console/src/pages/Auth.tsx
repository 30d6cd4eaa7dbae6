// Sign in and sign up.
import { useState } from "preact/hooks";
import { ApiError } from "../api/errors";
import { Button, ErrorNote, Field, useAction } from "../components/ui";
import { useConsole } from "../context";
import { href, navigate, type Route } from "../router";

// The API's rule (Cognito's password policy): shown before the user types, and checked before sending.
export const PASSWORD_RULE = "At least 12 characters, with a lowercase letter, a digit and a symbol.";

export function passwordProblem(password: string): string | null {
  if (password.length < 12) return "The password needs at least 12 characters.";
  if (!/[a-z]/.test(password)) return "The password needs at least one lowercase letter.";
  if (!/\d/.test(password)) return "The password needs at least one digit.";
  if (!/[^A-Za-z0-9\s]/.test(password)) return "The password needs at least one symbol.";
  return null;
}

// The address typed at sign-up when it turned out to have an account: the sign-in page starts with it.
let takenEmail = "";

/** Whether sign-up failed because the address already has an account (offer to sign in instead). */
export function isTakenEmail(error: unknown): boolean {
  return error instanceof ApiError && error.code === "email_taken";
}

/** Sign in, then go to `next` (the chatbots unless an invitation is being accepted). */
export function SignIn({ notice, next }: { notice?: string | null; next?: Route }) {
  const { accounts, session } = useConsole();
  const [email, setEmail] = useState(takenEmail);
  const [password, setPassword] = useState("");
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const signedIn = await accounts.login({ email, password });
      session.begin(signedIn.tokens);
      navigate(next ?? { page: "chatbots" });
    });
  };
  return (
    <main class="auth" id="main">
      <h1>Sign in to Parley</h1>
      {notice && <p role="status">{notice}</p>}
      <form onSubmit={submit}>
        <Field label="E-mail">
          <input
            type="email"
            autocomplete="username"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </Field>
        <Field label="Password">
          <input
            type="password"
            autocomplete="current-password"
            required
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </Field>
        <ErrorNote error={action.error} />
        <Button type="submit" busy={action.busy} busyLabel="Signing in…">
          Sign in
        </Button>
      </form>
      {!next && (
        <p>
          New to Parley? <a href={href({ page: "signup" })}>Create an account</a>
        </p>
      )}
    </main>
  );
}

/** An invitation's link, signed out: sign up with it, or sign in to accept it. */
export function JoinSignedOut({ code }: { code: string }) {
  const [hasAccount, setHasAccount] = useState(false);
  if (hasAccount) return <SignIn next={{ page: "join", code }} notice="Sign in, then accept the invitation." />;
  return <SignUp invitation={code} onHaveAccount={() => setHasAccount(true)} />;
}

export function SignUp({ invitation, onHaveAccount }: { invitation?: string; onHaveAccount?: () => void }) {
  const { accounts, session } = useConsole();
  const [organization, setOrganization] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [confirmationSent, setConfirmationSent] = useState(false);
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const problem = passwordProblem(password);
      if (problem) throw new Error(problem);
      const registered = await accounts.register(
        invitation ? { email, password, invitation } : { email, password, organization: organization || null },
      );
      if (registered.tokens) {
        session.begin(registered.tokens);
        navigate(invitation ? { page: "team" } : { page: "chatbots" });
      } else {
        setConfirmationSent(true); // the deployment confirms e-mail addresses first
      }
    });
  };
  if (confirmationSent) {
    return (
      <main class="auth" id="main">
        <h1>Check your e-mail</h1>
        <p>Confirm your address with the link we sent, then <a href={href({ page: "signin" })}>sign in</a>.</p>
      </main>
    );
  }
  return (
    <main class="auth" id="main">
      <h1>{invitation ? "Join your team on Parley" : "Create your Parley account"}</h1>
      {invitation && <p>You were invited: sign up with the e-mail address the invitation was made for.</p>}
      <form onSubmit={submit}>
        {!invitation && (
          <Field label="Organization">
            <input
              autocomplete="organization"
              maxLength={100}
              value={organization}
              onInput={(e) => setOrganization(e.currentTarget.value)}
            />
          </Field>
        )}
        <Field label="E-mail">
          <input
            type="email"
            autocomplete="email"
            required
            value={email}
            onInput={(e) => setEmail(e.currentTarget.value)}
          />
        </Field>
        <Field label="Password" hint={PASSWORD_RULE}>
          <input
            type="password"
            autocomplete="new-password"
            required
            minLength={12}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
        </Field>
        <ErrorNote error={action.error} />
        {isTakenEmail(action.error) && (
          <p class="notice">
            {onHaveAccount ? (
              <Button
                variant="plain"
                onClick={() => {
                  takenEmail = email;
                  onHaveAccount();
                }}
              >
                Sign in instead, to accept
              </Button>
            ) : (
              <a href={href({ page: "signin" })} onClick={() => (takenEmail = email)}>
                Sign in instead
              </a>
            )}{" "}
            with {email}.
          </p>
        )}
        <Button type="submit" busy={action.busy} busyLabel="Creating your account…">
          {invitation ? "Create account and join" : "Create account"}
        </Button>
      </form>
      {onHaveAccount ? (
        <p>
          Already have an account?{" "}
          <Button variant="plain" onClick={onHaveAccount}>
            Sign in to accept
          </Button>
        </p>
      ) : (
        <p>
          Already have an account? <a href={href({ page: "signin" })}>Sign in</a>
        </p>
      )}
    </main>
  );
}

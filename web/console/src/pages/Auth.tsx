// Sign in and sign up.
import { useState } from "preact/hooks";
import { Button, ErrorNote, Field, useAction } from "../components/ui";
import { useConsole } from "../context";
import { href, navigate } from "../router";

// The API's rule (Cognito's password policy): shown before the user types, and checked before sending.
export const PASSWORD_RULE = "At least 12 characters, with a lowercase letter, a digit and a symbol.";

export function passwordProblem(password: string): string | null {
  if (password.length < 12) return "The password needs at least 12 characters.";
  if (!/[a-z]/.test(password)) return "The password needs at least one lowercase letter.";
  if (!/\d/.test(password)) return "The password needs at least one digit.";
  if (!/[^A-Za-z0-9\s]/.test(password)) return "The password needs at least one symbol.";
  return null;
}

export function SignIn({ notice }: { notice?: string | null }) {
  const { accounts, session } = useConsole();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      const signedIn = await accounts.login({ email, password });
      session.begin(signedIn.tokens);
      navigate({ page: "chatbots" });
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
      <p>
        New to Parley? <a href={href({ page: "signup" })}>Create an account</a>
      </p>
    </main>
  );
}

export function SignUp() {
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
      const registered = await accounts.register({ email, password, organization: organization || null });
      if (registered.tokens) {
        session.begin(registered.tokens);
        navigate({ page: "chatbots" });
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
      <h1>Create your Parley account</h1>
      <form onSubmit={submit}>
        <Field label="Organization">
          <input
            autocomplete="organization"
            maxLength={100}
            value={organization}
            onInput={(e) => setOrganization(e.currentTarget.value)}
          />
        </Field>
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
        <Button type="submit" busy={action.busy} busyLabel="Creating your account…">
          Create account
        </Button>
      </form>
      <p>
        Already have an account? <a href={href({ page: "signin" })}>Sign in</a>
      </p>
    </main>
  );
}

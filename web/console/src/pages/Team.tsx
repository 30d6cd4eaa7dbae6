// The team: members and pending invitations; inviting (the accept link is copied and passed on: no e-mail is
// sent), changing roles, removing someone and handing over ownership, each confirmed. Controls a role may not use
// are not shown.
import { useEffect, useRef, useState } from "preact/hooks";
import type { Invitation, InvitationCreated, Member, Role, Team as TeamList, UserProfile } from "../api/client";
import { Button, ErrorNote, Field, Loading, TableScroll, useAction } from "../components/ui";
import { useConsole } from "../context";
import { dateText } from "../dates";
import { href } from "../router";

const ROLE_NAMES: Record<Role, string> = { owner: "Owner", admin: "Admin", member: "Member" };

/** The link that lets the invited person sign up (or sign in) and join: the console's own address. */
export function acceptLink(consoleUrl: string, code: string): string {
  return `${consoleUrl.replace(/#.*$/, "")}${href({ page: "join", code })}`;
}

/** The roles `me` may give `member` (empty: `me` may not change it). Owners make and unmake owners; admins manage
 * admins and members; nobody demotes themselves here when they are the only owner (the API says why). */
export function roleChoices(me: UserProfile, member: Member): Role[] {
  if (me.role === "owner") return ["owner", "admin", "member"];
  if (me.role === "admin" && member.role !== "owner") return ["admin", "member"];
  return [];
}

export function canManage(me: UserProfile): boolean {
  return me.role === "owner" || me.role === "admin";
}

export function Team({ me, onChanged }: { me: UserProfile; onChanged: () => void }) {
  const { api } = useConsole();
  const [team, setTeam] = useState<TeamList | null>(null);
  const loading = useAction();
  const reload = () => loading.run(async () => setTeam(await api.team()));
  useEffect(() => {
    void reload();
  }, []);
  const changed = () => {
    void reload();
    onChanged(); // my own role may have changed (a transfer)
  };

  return (
    <main id="main">
      <h1>Team</h1>
      {canManage(me) ? (
        <InviteMember onInvited={() => void reload()} />
      ) : (
        <p>You are a member: owners and admins invite people and change roles.</p>
      )}
      <section aria-labelledby="members">
        <h2 id="members">Members</h2>
        <ErrorNote error={loading.error} />
        {team === null && loading.busy && <Loading what="the team" />}
        {team !== null && (
          <TableScroll label="Members, scrollable">
            <table>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">E-mail</th>
                  <th scope="col">Role</th>
                  <th scope="col">Joined</th>
                  {canManage(me) && <th scope="col">Actions</th>}
                </tr>
              </thead>
              <tbody>
                {team.members.map((member) => (
                  <MemberRow key={member.id} me={me} member={member} onChanged={changed} />
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </section>
      {team !== null && <Invitations me={me} invitations={team.invitations} onChanged={() => void reload()} />}
    </main>
  );
}

function MemberRow({ me, member, onChanged }: { me: UserProfile; member: Member; onChanged: () => void }) {
  const { api } = useConsole();
  const choices = roleChoices(me, member);
  const change = useAction();
  const setRole = (role: Role) =>
    void change.run(async () => {
      await api.changeRole(member.id, role);
      onChanged();
    });
  const isMe = member.id === me.id;
  return (
    <tr>
      <td data-label="Name">
        {member.name}
        {isMe && " (you)"}
      </td>
      <td data-label="E-mail">{member.email}</td>
      <td data-label="Role">
        {choices.length > 0 ? (
          <label>
            <span class="visually-hidden">Role of {member.email}</span>
            <select
              value={member.role}
              disabled={change.busy}
              onChange={(e) => setRole(e.currentTarget.value as Role)}
            >
              {choices.map((role) => (
                <option key={role} value={role}>
                  {ROLE_NAMES[role]}
                </option>
              ))}
            </select>
          </label>
        ) : (
          ROLE_NAMES[member.role]
        )}
        <ErrorNote error={change.error} />
      </td>
      <td data-label="Joined">{dateText(member.joined_at)}</td>
      {canManage(me) && (
        <td>
          <div class="row-actions">
            {member.role !== "owner" && !isMe && (
              <Confirmed
                label={`Remove ${member.email}…`}
                question={`Remove ${member.email} from the team?`}
                detail="Their sessions end at once and their sign-in is deleted. What they made stays with the team."
                confirm="Remove for good"
                busyLabel="Removing…"
                danger
                act={() => api.removeMember(member.id).then(onChanged)}
              />
            )}
            {me.role === "owner" && !isMe && member.role !== "owner" && (
              <Confirmed
                label={`Make ${member.email} the owner…`}
                question={`Hand ownership to ${member.email}?`}
                detail="They become the owner; you become an admin."
                confirm="Transfer ownership"
                busyLabel="Transferring…"
                act={() => api.transferOwnership(member.id).then(onChanged)}
              />
            )}
          </div>
        </td>
      )}
    </tr>
  );
}

/** A button that asks first, in a dialog, then runs `act`. */
function Confirmed(props: {
  label: string;
  question: string;
  detail: string;
  confirm: string;
  busyLabel: string;
  danger?: boolean;
  act: () => Promise<void>;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const action = useAction();
  const titleId = `confirm-${props.label.replace(/\W+/g, "-")}`;
  const go = () =>
    void action.run(async () => {
      await props.act();
      dialog.current?.close();
    });
  return (
    <>
      <Button variant={props.danger ? "danger" : "plain"} onClick={() => dialog.current?.showModal()}>
        {props.label}
      </Button>
      <dialog ref={dialog} aria-labelledby={titleId}>
        <h2 id={titleId}>{props.question}</h2>
        <p>{props.detail}</p>
        <ErrorNote error={action.error} />
        <div class="actions">
          <Button variant="plain" autofocus onClick={() => dialog.current?.close()} disabled={action.busy}>
            Cancel
          </Button>
          <Button variant="danger" busy={action.busy} busyLabel={props.busyLabel} onClick={go}>
            {props.confirm}
          </Button>
        </div>
      </dialog>
    </>
  );
}

function InviteMember({ onInvited }: { onInvited: () => void }) {
  const { api } = useConsole();
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<"admin" | "member">("member");
  const [created, setCreated] = useState<InvitationCreated | null>(null);
  const [copied, setCopied] = useState(false);
  const action = useAction();
  const submit = (event: Event) => {
    event.preventDefault();
    void action.run(async () => {
      setCreated(await api.invite({ email, role }));
      setCopied(false);
      setEmail("");
      onInvited();
    });
  };
  const link = created ? acceptLink(window.location.href, created.code) : "";
  return (
    <section aria-labelledby="invite">
      <h2 id="invite">Invite someone</h2>
      <form class="inline" onSubmit={submit}>
        <Field label="E-mail">
          <input type="email" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
        </Field>
        <Field label="Role" hint="A member uses the chatbots and documents; an admin also manages them and the team.">
          <select value={role} onChange={(e) => setRole(e.currentTarget.value as "admin" | "member")}>
            <option value="member">Member</option>
            <option value="admin">Admin</option>
          </select>
        </Field>
        <Button type="submit" busy={action.busy} busyLabel="Inviting…">
          Create invitation
        </Button>
      </form>
      <ErrorNote error={action.error} />
      {created && (
        <div class="invite-link" role="status">
          <p>
            Send this link to {created.invitation.email} yourself: Parley sends no e-mail. It works once, until{" "}
            {dateText(created.invitation.expires_at)}, and is shown only now.
          </p>
          <Field label="Accept link">
            <input readOnly value={link} onFocus={(e) => e.currentTarget.select()} />
          </Field>
          <Button
            variant="plain"
            onClick={() => void navigator.clipboard.writeText(link).then(() => setCopied(true))}
          >
            {copied ? "Copied" : "Copy link"}
          </Button>
        </div>
      )}
    </section>
  );
}

function Invitations({
  me,
  invitations,
  onChanged,
}: {
  me: UserProfile;
  invitations: Invitation[];
  onChanged: () => void;
}) {
  const { api } = useConsole();
  const withdraw = useAction();
  const now = Date.now();
  return (
    <section aria-labelledby="pending">
      <h2 id="pending">Pending invitations</h2>
      <ErrorNote error={withdraw.error} />
      {invitations.length === 0 ? (
        <p>No pending invitations.</p>
      ) : (
        <TableScroll label="Invitations, scrollable">
          <table>
            <thead>
              <tr>
                <th scope="col">E-mail</th>
                <th scope="col">Role</th>
                <th scope="col">Expires</th>
                {canManage(me) && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {invitations.map((invitation) => (
                <tr key={invitation.id}>
                  <td data-label="E-mail">{invitation.email}</td>
                  <td data-label="Role">{ROLE_NAMES[invitation.role]}</td>
                  <td data-label="Expires">
                    {Date.parse(invitation.expires_at) <= now
                      ? "Expired"
                      : dateText(invitation.expires_at)}
                  </td>
                  {canManage(me) && (
                    <td>
                      <Button
                        variant="plain"
                        busy={withdraw.busy}
                        busyLabel="Withdrawing…"
                        onClick={() =>
                          void withdraw.run(async () => {
                            await api.withdrawInvitation(invitation.id);
                            onChanged();
                          })
                        }
                      >
                        Withdraw invitation for {invitation.email}
                      </Button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}

/** A signed-in person accepting an invitation from its link. */
export function Join({ code, onJoined }: { code: string; onJoined: () => void }) {
  const { api } = useConsole();
  const action = useAction();
  return (
    <main id="main">
      <h1>Join a team</h1>
      <p>
        Accepting moves you into the team that invited you. This works if your own organization holds no chatbots and
        no other members.
      </p>
      <ErrorNote error={action.error} />
      <Button
        busy={action.busy}
        busyLabel="Joining…"
        onClick={() =>
          void action.run(async () => {
            await api.join(code);
            onJoined();
          })
        }
      >
        Accept the invitation
      </Button>
    </main>
  );
}

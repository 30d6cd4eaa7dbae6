// The team page's rules: who may set which role, who sees the managing controls, and the invitation's link.
import { describe, expect, it } from "vitest";
import type { Member, UserProfile } from "../src/api/client";
import { acceptLink, canManage, roleChoices } from "../src/pages/Team";
import { parseRoute } from "../src/router";

const person = (role: UserProfile["role"]): UserProfile => ({
  id: `${role}-id`,
  email: `${role}@example.com`,
  name: role,
  tenant_id: "t",
  role,
  created_at: "2026-11-30T00:00:00Z",
});
const member = (role: Member["role"]): Member => ({
  id: `m-${role}`,
  email: `m-${role}@example.com`,
  name: "m",
  role,
  joined_at: "2026-11-30T00:00:00Z",
});

describe("team", () => {
  it("lets owners give any role, admins manage admins and members but not owners, members nothing", () => {
    expect(roleChoices(person("owner"), member("member"))).toEqual(["owner", "admin", "member"]);
    expect(roleChoices(person("admin"), member("member"))).toEqual(["admin", "member"]);
    expect(roleChoices(person("admin"), member("owner"))).toEqual([]);
    expect(roleChoices(person("member"), member("admin"))).toEqual([]);
    expect([canManage(person("owner")), canManage(person("admin")), canManage(person("member"))]).toEqual([
      true,
      true,
      false,
    ]);
  });

  it("builds the accept link on the console's address, which the join route reads back", () => {
    const link = acceptLink("https://console.example/#/team", "t1.i1.s3cr-t_");
    expect(link).toBe("https://console.example/#/join/t1.i1.s3cr-t_");
    expect(parseRoute(link.slice(link.indexOf("#")))).toEqual({ page: "join", code: "t1.i1.s3cr-t_" });
    expect(parseRoute("#/team")).toEqual({ page: "team" });
  });
});

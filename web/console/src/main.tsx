import { render } from "preact";
import { Accounts, Api } from "./api/client";
import { messageOf } from "./api/errors";
import { Session } from "./api/session";
import { App } from "./App";
import { loadConfig } from "./config";
import { ConsoleContext } from "./context";
import "./styles.css";

const root = document.getElementById("app")!;

loadConfig().then(
  (config) => {
    const http: typeof fetch = (input, init) => fetch(input, init);
    const session = new Session(config.apiUrl, http, window.localStorage);
    const value = { config, session, accounts: new Accounts(config.apiUrl, http), api: new Api(session) };
    root.textContent = ""; // the loading note
    render(
      <ConsoleContext.Provider value={value}>
        <App />
      </ConsoleContext.Provider>,
      root,
    );
  },
  (error: unknown) => {
    root.textContent = "";
    const note = document.createElement("p");
    note.setAttribute("role", "alert");
    note.textContent = messageOf(error);
    root.append(note);
  },
);

/**
 * The login form: user name and password, labelled, with one message line (role "alert") for
 * what went wrong. The password goes to the key derivation in this page, never to the server.
 *
 * @module
 */
import { el } from "./dom.ts";

/** What the form asks the app to do on submit; resolves with an error sentence, or null. */
export type LoginAction = (user: string, password: string) => Promise<string | null>;

/** The login section, with `notice` (such as why the last session ended) above the form. */
export function loginView(login: LoginAction, notice: string | null): HTMLElement {
  const user = el("input", {
    attrs: {
      id: "user",
      name: "user",
      autocomplete: "username",
      autocapitalize: "none",
      spellcheck: "false",
      required: true,
    },
  });
  const password = el("input", {
    attrs: {
      id: "password",
      name: "password",
      type: "password",
      autocomplete: "current-password",
      required: true,
    },
  });
  const submit = el("button", { class: "primary", attrs: { type: "submit" } }, "Log in");
  const error = el("p", { class: "alert", attrs: { role: "alert", id: "login-error" } });
  const form = el(
    "form",
    { attrs: { "aria-labelledby": "login-title" } },
    el("label", { attrs: { for: "user" } }, "User name"),
    user,
    el("label", { attrs: { for: "password" } }, "Password"),
    password,
    submit,
    error,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.textContent = "";
    submit.disabled = true;
    submit.textContent = "Deriving keys…";
    const problem = await login(user.value, password.value);
    submit.disabled = false;
    submit.textContent = "Log in";
    if (problem !== null) {
      error.textContent = problem;
      password.select();
      password.focus();
    }
  });
  const section = el(
    "section",
    { class: "login" },
    el("h1", { attrs: { id: "login-title" } }, "Open your backups"),
    el(
      "p",
      { class: "hint" },
      "Your password never leaves this page: your keys are derived here and your files are " +
        "decrypted here, in the browser.",
    ),
    notice === null ? null : el("p", { class: "notice", attrs: { role: "status" } }, notice),
    form,
  );
  queueMicrotask(() => user.focus());
  return section;
}

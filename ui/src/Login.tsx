// The login screen: trades the server's token for the session cookie (POST /session).
import { useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, ApiError, UI_API, type Session } from "./api/client";

export function Login() {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const client = useQueryClient();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const answer = await api<Session>(`${UI_API}/session`, { method: "POST", body: JSON.stringify({ token }) });
      setError(null);
      client.setQueryData(["session"], answer);
      await client.invalidateQueries({ predicate: (query) => query.queryKey[0] !== "session" });
    } catch (caught) {
      setError(caught instanceof ApiError ? caught.message : String(caught));
    }
  };
  return (
    <section className="page login">
      <h1>Log in</h1>
      <p className="muted">This server requires its token (SLUICE_TOKEN).</p>
      <form onSubmit={(event) => void submit(event)}>
        <label>
          Token <input type="password" value={token} onChange={(event) => setToken(event.target.value)} autoFocus />
        </label>
        <button type="submit">Log in</button>
      </form>
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
    </section>
  );
}

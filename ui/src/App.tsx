// The shell: left navigation, top bar (theme, shortcuts), the login screen when the server
// requires a token, and the routes of the pages.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, NavLink, Navigate, Route, Routes } from "react-router";
import { api, UI_API, type Session } from "./api/client";
import { Login } from "./Login";
import { Compare } from "./pages/Compare";
import { LineageExplorer } from "./lineage/LineageExplorer";
import { Palette } from "./palette/Palette";
import { ArtifactDetails, ArtifactList } from "./pages/Artifacts";
import { ContextDetails, ContextList } from "./pages/Contexts";
import { ExecutionDetails, ExecutionList } from "./pages/Executions";
import { ExperimentDetails } from "./pages/ExperimentDetails";
import { Experiments } from "./pages/Experiments";
import { NewRun } from "./pages/NewRun";
import { PipelineDetails } from "./pages/PipelineDetails";
import { Pipelines } from "./pages/Pipelines";
import { Recurring } from "./pages/Recurring";
import { RecurringDetails } from "./pages/RecurringDetails";
import { RunDetails } from "./pages/RunDetails";
import { RunList } from "./pages/RunList";
import { useTheme } from "./theme";

const NAV = [
  { to: "/runs", label: "Runs" },
  { to: "/experiments", label: "Experiments" },
  { to: "/pipelines", label: "Pipelines" },
  { to: "/recurring", label: "Recurring runs" },
  { to: "/artifacts", label: "Artifacts" },
  { to: "/executions", label: "Executions" },
  { to: "/contexts", label: "Contexts" },
];

const SHORTCUTS: [string, string][] = [
  ["/ or Ctrl-K", "Search runs, pipelines, experiments, artifacts; actions"],
  ["j / k", "Next / previous run in the list"],
  ["Enter", "Open the focused run"],
  ["x", "Select the focused run (for bulk actions and Compare)"],
  ["f", "Find a task in the run graph"],
  ["Esc", "Close the side panel or this dialog"],
  ["?", "Show these shortcuts"],
];

function isTyping(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
}

function NotFound() {
  return (
    <section className="page">
      <h1>Not found</h1>
      <p className="muted">
        No page has this address. <Link to="/runs">Go to the runs</Link>.
      </p>
    </section>
  );
}

export function App() {
  const [theme, toggleTheme] = useTheme();
  const [help, setHelp] = useState(false);
  const [palette, setPalette] = useState(false);
  const client = useQueryClient();
  const session = useQuery({ queryKey: ["session"], queryFn: () => api<Session>(`${UI_API}/session`), staleTime: Infinity });

  useEffect(() => {
    const onUnauthenticated = () => void client.invalidateQueries({ queryKey: ["session"] });
    window.addEventListener("sluice:unauthenticated", onUnauthenticated);
    return () => window.removeEventListener("sluice:unauthenticated", onUnauthenticated);
  }, [client]);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") setHelp(false);
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "k") {
        event.preventDefault();
        setPalette((open) => !open);
        return;
      }
      if (isTyping(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (event.key === "?") setHelp((open) => !open);
      if (event.key === "/") {
        event.preventDefault();
        setPalette(true);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const needsLogin = session.data !== undefined && session.data.auth_required && !session.data.authenticated;

  const logout = async () => {
    const answer = await api<Session>(`${UI_API}/session`, { method: "DELETE" });
    client.removeQueries({ predicate: (query) => query.queryKey[0] !== "session" });
    client.setQueryData(["session"], answer);
  };

  return (
    <div className="shell">
      <header className="topbar">
        <Link to="/runs" className="brand">
          Sluice
        </Link>
        <span className="spacer" />
        <button type="button" className="ghost" onClick={() => setPalette(true)} aria-label="Search" title="Search ( / or Ctrl-K )">
          Search <kbd>/</kbd>
        </button>
        <Link to="/runs/new" className="ghost">
          New run
        </Link>
        <button type="button" className="ghost" onClick={() => setHelp(true)} aria-label="Keyboard shortcuts">
          ?
        </button>
        <button type="button" className="ghost" onClick={toggleTheme} aria-label={`Theme: ${theme}`} title="Toggle the theme">
          Theme: {theme}
        </button>
        {session.data?.auth_required && session.data.authenticated ? (
          <button type="button" className="ghost" onClick={() => void logout()}>
            Log out
          </button>
        ) : null}
      </header>
      <nav className="sidenav" aria-label="Main">
        {NAV.map((item) => (
          <NavLink key={item.to} to={item.to} className={({ isActive }) => (isActive ? "active" : "")}>
            {item.label}
          </NavLink>
        ))}
      </nav>
      <main className="content">
        {session.isPending ? null : needsLogin ? (
          <Login />
        ) : (
          <Routes>
            <Route path="/" element={<Navigate to="/runs" replace />} />
            <Route path="/runs" element={<RunList />} />
            <Route path="/runs/new" element={<NewRun />} />
            <Route path="/runs/:runId" element={<RunDetails />} />
            <Route path="/compare" element={<Compare />} />
            <Route path="/experiments" element={<Experiments />} />
            <Route path="/experiments/:experimentId" element={<ExperimentDetails />} />
            <Route path="/pipelines" element={<Pipelines />} />
            <Route path="/pipelines/:pipelineId" element={<PipelineDetails />} />
            <Route path="/recurring" element={<Recurring />} />
            <Route path="/recurring/:recurringId" element={<RecurringDetails />} />
            <Route path="/artifacts" element={<ArtifactList />} />
            <Route path="/artifacts/:artifactId" element={<ArtifactDetails />} />
            <Route path="/executions" element={<ExecutionList />} />
            <Route path="/executions/:executionId" element={<ExecutionDetails />} />
            <Route path="/contexts" element={<ContextList />} />
            <Route path="/contexts/:contextId" element={<ContextDetails />} />
            <Route path="/lineage" element={<LineageExplorer />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        )}
      </main>
      {palette && !needsLogin ? <Palette onClose={() => setPalette(false)} onToggleTheme={toggleTheme} /> : null}
      {help ? (
        <div className="overlay" onClick={() => setHelp(false)}>
          <div role="dialog" aria-modal="true" aria-label="Keyboard shortcuts" className="dialog" onClick={(event) => event.stopPropagation()}>
            <h2>Keyboard shortcuts</h2>
            <table>
              <tbody>
                {SHORTCUTS.map(([key, what]) => (
                  <tr key={key}>
                    <td>
                      <kbd>{key}</kbd>
                    </td>
                    <td>{what}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <button type="button" onClick={() => setHelp(false)}>
              Close
            </button>
          </div>
        </div>
      ) : null}
    </div>
  );
}

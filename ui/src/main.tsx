import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter } from "react-router";
import { App } from "./App";
import { applyTheme, storedTheme } from "./theme";
import "@xyflow/react/dist/style.css";
import "./styles.css";

applyTheme(storedTheme());

const queries = new QueryClient({
  defaultOptions: {
    // Live data comes over SSE; no polling, no refetch storms on focus.
    queries: { refetchOnWindowFocus: false, retry: 1, staleTime: 5_000 },
  },
});

// The server's <base href> is the app's root (it may sit behind a path prefix).
const basename = new URL(document.baseURI).pathname.replace(/\/$/, "");

// kfp.Client prints links into KFP's UI, which routes on the hash
// (/#/runs/details/<id>, /#/experiments/details/<id>): open the same page here.
const kfpLink = /^#\/(runs|experiments|pipelines|recurringrun)\/details\/([^/?#]+)/.exec(window.location.hash);
if (kfpLink) {
  const page = kfpLink[1] === "recurringrun" ? "recurring" : kfpLink[1];
  window.history.replaceState(null, "", `${basename}/${page}/${kfpLink[2]}`);
}

const root = document.getElementById("root");
if (root) {
  createRoot(root).render(
    <StrictMode>
      <QueryClientProvider client={queries}>
        <BrowserRouter basename={basename}>
          <App />
        </BrowserRouter>
      </QueryClientProvider>
    </StrictMode>,
  );
}

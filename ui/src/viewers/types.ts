// What every viewer gets of an artifact (from a task's detail or from a comparison).
import { apiUrl, UI_API } from "../api/client";

export interface ViewerArtifact {
  id: number | null;
  name: string;
  schema_title: string;
  uri: string;
  metadata: Record<string, unknown>;
}

/** The download URL of an artifact's bytes (the session cookie authorizes it). */
export function contentUrl(id: number): string {
  return apiUrl(`${UI_API}/artifacts/${id}:content`);
}

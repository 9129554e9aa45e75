// KFP's REST shapes (/apis/v2beta1) that the forms and the pipeline and recurring-run pages
// read and write, and the queries for them. The UI submits through KFP's own endpoints, so
// what it creates is what kfp.Client would create.
import { useQuery } from "@tanstack/react-query";
import { api, KFP_API } from "../api/client";
import type { Trigger } from "./cron";

export interface Pipeline {
  pipeline_id: string;
  display_name: string;
  name?: string;
  description?: string;
  created_at?: string;
}

export interface PipelineVersion {
  pipeline_id: string;
  pipeline_version_id: string;
  display_name: string;
  name?: string;
  description?: string;
  created_at?: string;
  pipeline_spec?: Record<string, unknown>;
}

export interface VersionReference {
  pipeline_id?: string;
  pipeline_version_id?: string;
}

export interface RuntimeConfig {
  parameters?: Record<string, unknown>;
  pipeline_root?: string;
}

/** A run as KFP's GetRun returns it (the fields a clone reads). */
export interface KfpRun {
  run_id: string;
  display_name: string;
  experiment_id?: string;
  pipeline_spec?: Record<string, unknown>;
  pipeline_version_reference?: VersionReference;
  runtime_config?: RuntimeConfig;
}

export interface RecurringRun {
  recurring_run_id: string;
  display_name: string;
  description?: string;
  experiment_id?: string;
  pipeline_spec?: Record<string, unknown>;
  pipeline_version_reference?: VersionReference;
  runtime_config?: RuntimeConfig;
  trigger?: Trigger;
  max_concurrency?: string;
  max_run_count?: string;
  no_catchup?: boolean;
  mode?: "ENABLE" | "DISABLE";
  status?: string;
  runs_started?: string;
  created_at?: string;
  updated_at?: string;
  next_run_time?: string;
  last_run_scheduled_at?: string;
}

/** Every pipeline (the first 200, newest first). */
export function usePipelines() {
  return useQuery({
    queryKey: ["pipelines"],
    queryFn: () => api<{ pipelines?: Pipeline[]; total_size?: number }>(`${KFP_API}/pipelines`, {}, { page_size: 200, sort_by: "created_at desc" }),
  });
}

/** A pipeline's versions, newest first (none while ``pipelineId`` is empty). */
export function useVersions(pipelineId: string) {
  return useQuery({
    queryKey: ["versions", pipelineId],
    enabled: pipelineId !== "",
    queryFn: () =>
      api<{ pipeline_versions?: PipelineVersion[] }>(
        `${KFP_API}/pipelines/${encodeURIComponent(pipelineId)}/versions`,
        {},
        { page_size: 200, sort_by: "created_at desc" },
      ),
  });
}

/** One version, with its spec. */
export function useVersion(pipelineId: string, versionId: string) {
  return useQuery({
    queryKey: ["version", pipelineId, versionId],
    enabled: pipelineId !== "" && versionId !== "",
    queryFn: () => api<PipelineVersion>(`${KFP_API}/pipelines/${encodeURIComponent(pipelineId)}/versions/${encodeURIComponent(versionId)}`),
    staleTime: Infinity, // a version's spec never changes
  });
}

/** Upload a package file as a new pipeline, or as a new version of ``pipelineId``. */
export async function uploadPackage(file: File, pipelineId?: string): Promise<Pipeline | PipelineVersion> {
  const form = new FormData();
  form.append("uploadfile", file, file.name);
  const base = file.name.replace(/\.(ya?ml|json)$/i, "");
  const stamp = new Date().toISOString().replace(/[-:]/g, "").slice(0, 15);
  const path = pipelineId ? "pipelines/upload_version" : "pipelines/upload";
  const params = pipelineId ? { pipelineid: pipelineId, name: `${base}-${stamp}` } : { name: base };
  return api<Pipeline | PipelineVersion>(`${KFP_API}/${path}`, { method: "POST", body: form, headers: {} }, params);
}

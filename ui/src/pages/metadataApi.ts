// The metadata and lineage calls' types (N10, N11, N12), from the generated schema.
import type { components } from "../api/schema";

export type ArtifactView = components["schemas"]["ArtifactView"];
export type ExecutionView = components["schemas"]["ExecutionView"];
export type EventView = components["schemas"]["EventView"];
export type ArtifactPage = components["schemas"]["ArtifactPage"];
export type ExecutionPage = components["schemas"]["ExecutionPage"];
export type ArtifactDetail = components["schemas"]["ArtifactDetail"];
export type ExecutionDetail = components["schemas"]["ExecutionDetail"];
export type LineageGraphView = components["schemas"]["LineageGraphView"];
export type SearchResult = components["schemas"]["SearchResult"];
export type SearchHit = components["schemas"]["SearchHit"];

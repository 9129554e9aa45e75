"""Search across runs, pipelines, experiments and artifacts by name or id: what the web
UI's palette (``/`` or Ctrl-K) asks. Each kind is one indexed list query, never a scan of
every row in Python."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sluice.errors import NotFoundError, UserInputError
from sluice.service.experiments import ExperimentService
from sluice.service.listing import ListQuery, Predicate
from sluice.service.metadata import MetadataService
from sluice.service.pipelines import PipelineService
from sluice.service.runs import RunService
from sluice.store.repository import Store

Kind = Literal["run", "pipeline", "experiment", "artifact"]


@dataclass(frozen=True)
class Hit:
    """One thing found: its kind, id, name and a second line (state, type)."""

    kind: Kind
    id: str
    name: str
    detail: str | None


def _quoted(text: str) -> str:
    # An AIP-160 string literal: backslash and double quote escaped.
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class SearchService:
    """Finds runs, pipelines, experiments and artifacts whose id is ``q`` or whose name
    contains it, newest first within each kind."""

    def __init__(self, store: Store, runs: RunService) -> None:
        self.store = store
        self.runs = runs

    def search(self, q: str, limit: int = 20) -> list[Hit]:
        """Up to ``limit`` hits: exact id matches first, then name matches by kind.

        Raises:
            UserInputError: an empty query or a limit outside 1..100.
        """
        q = q.strip()
        if not q:
            raise UserInputError("q: give some text to search for")
        if not 1 <= limit <= 100:
            raise UserInputError(f"limit must be between 1 and 100, got {limit}")
        hits = self._by_id(q)
        per_kind = max(limit // 2, 5)
        hits += self._runs(q, per_kind) + self._pipelines(q, per_kind)
        hits += self._experiments(q, per_kind) + self._artifacts(q, per_kind)
        unique = list({(hit.kind, hit.id): hit for hit in hits}.values())
        prefix = q.lower()
        # Stable: ids first (they came first), then names that start with the text.
        unique.sort(
            key=lambda hit: 0 if hit.id == q else 1 if hit.name.lower().startswith(prefix) else 2
        )
        return unique[:limit]

    def _by_id(self, q: str) -> list[Hit]:
        hits: list[Hit] = []
        try:
            run = self.runs.get(q)
            hits.append(Hit("run", run.id, run.display_name, run.state))
        except (NotFoundError, UserInputError):
            pass
        if q.isdigit():
            artifact = MetadataService(self.store).find_artifact(int(q))
            if artifact is not None:
                hits.append(
                    Hit(
                        "artifact",
                        str(artifact.id),
                        artifact.display_name or artifact.name,
                        artifact.schema_title,
                    )
                )
        return hits

    @staticmethod
    def _named(q: str, limit: int) -> ListQuery:
        return ListQuery(
            predicates=[Predicate("display_name", "IS_SUBSTRING", q)],
            sort_key="created_at",
            descending=True,
            limit=limit,
        )

    def _runs(self, q: str, limit: int) -> list[Hit]:
        page = self.runs.list(self._named(q, limit))
        return [Hit("run", row.id, row.display_name, row.state) for row in page.rows]

    def _pipelines(self, q: str, limit: int) -> list[Hit]:
        page = PipelineService(self.store).list(self._named(q, limit))
        return [Hit("pipeline", row.id, row.display_name, row.description) for row in page.rows]

    def _experiments(self, q: str, limit: int) -> list[Hit]:
        page = ExperimentService(self.store).list(self._named(q, limit))
        return [Hit("experiment", row.id, row.display_name, row.description) for row in page.rows]

    def _artifacts(self, q: str, limit: int) -> list[Hit]:
        page = MetadataService(self.store).list_artifacts(
            f"display_name:{_quoted(q)} OR name:{_quoted(q)}", limit=limit
        )
        return [
            Hit("artifact", str(row.id), row.display_name or row.name, row.schema_title)
            for row in page.items
        ]

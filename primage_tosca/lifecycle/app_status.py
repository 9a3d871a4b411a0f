"""How far an application on Kubernetes got, from objects already listed
(plain JSON, as the API gives them): no call here, so the number of API
requests does not depend on how many inputs a job has.

An HTC job is one or more runs (Indexed Jobs): the first over every input,
later ones over some inputs (a retry of the failed ones, or inputs added),
whose completion index *i* is input ``primage.eu/input-indexes[i]``. An input
is *done* when any run completed it; otherwise its newest run says whether it
runs, waits (with the reason: an image that cannot be pulled), failed (with
the reason from the pod: exit code, OOMKilled, evicted) or has not started.
"""

from __future__ import annotations

from typing import Any

from ..k8s_labels import INDEXES_ANNOTATION, URL_ANNOTATION, parse_ranges
from ..records import field, record

INDEX_LABEL = "batch.kubernetes.io/job-completion-index"
JOB_NAME_LABEL = "batch.kubernetes.io/job-name"
WAITING_PROBLEMS = ("ImagePullBackOff", "ErrImagePull", "InvalidImageName", "CreateContainerConfigError",
                    "CreateContainerError", "CrashLoopBackOff")


@record
class JobProgress:
    name: str
    total: int
    done: list[int] = field(default_factory=list)
    running: list[int] = field(default_factory=list)
    waiting: list[dict] = field(default_factory=list)  # {index, input, reason}
    failed: list[dict] = field(default_factory=list)  # {index, input, reason, exit_code, pod, run}
    runs: list[dict] = field(default_factory=list)  # {name, completions, conditions}
    missing: list[str] = field(default_factory=list)  # runs on record that the cluster no longer has

    @property
    def pending(self) -> int:
        return self.total - len(self.done) - len(self.running) - len(self.waiting) - len(self.failed)

    @property
    def state(self) -> str:
        if self.missing and not self.runs:
            return "missing"
        if self.running or self.waiting or self.pending:
            return "waiting" if self.waiting and not self.running else "running"
        return "failed" if self.failed else "succeeded"

    def as_dict(self) -> dict:
        return {"name": self.name, "kind": "htc", "state": self.state, "total": self.total,
                "done": len(self.done), "running": len(self.running), "waiting": self.waiting,
                "failed": self.failed, "pending": self.pending, "runs": self.runs, "missing": self.missing}


def index_map(job: dict) -> list[int] | None:
    """Completion index -> input index for a later run; None for the first (the same)."""
    text = ((job.get("metadata") or {}).get("annotations") or {}).get(INDEXES_ANNOTATION)
    return [int(part) for part in text.split(",") if part.strip()] if text else None


def pod_reason(pod: dict) -> tuple[str, int | None]:
    """Why a pod failed or waits, and its main container's exit code."""
    status = pod.get("status") or {}
    if status.get("reason") == "Evicted":
        return f"evicted: {status.get('message') or 'the node ran short of resources'}", None
    for container in (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or []):
        state = container.get("state") or {}
        ended = state.get("terminated") or (container.get("lastState") or {}).get("terminated")
        if ended and ended.get("exitCode", 0) != 0:
            code = int(ended.get("exitCode", 0))
            if ended.get("reason") == "OOMKilled":
                return f"OOMKilled (out of memory, exit code {code})", code
            detail = f": {ended['message']}" if ended.get("message") else ""
            return f"exit code {code}{detail}", code
        waiting = state.get("waiting") or {}
        if waiting.get("reason") in WAITING_PROBLEMS:
            kind = "image pull error" if "Image" in waiting["reason"] else waiting["reason"]
            return f"{kind} ({waiting['reason']}): {waiting.get('message') or ''}".rstrip(": "), None
    if status.get("reason"):
        return f"{status['reason']}: {status.get('message') or ''}".rstrip(": "), None
    return "failed (no reason in the pod status)", None


def _created(obj: dict) -> str:
    return str((obj.get("metadata") or {}).get("creationTimestamp") or "")


def htc_progress(name: str, inputs: list[str], run_names: list[str], jobs: list[dict],
                 pods: list[dict]) -> JobProgress:
    """The progress of one HTC job from its runs' Jobs and the pods that did
    not succeed (the caller lists those with ``status.phase!=Succeeded``)."""
    progress = JobProgress(name, len(inputs))
    present = {(j.get("metadata") or {}).get("name"): j for j in jobs}
    progress.missing = [run for run in run_names if run not in present]
    runs = sorted((present[r] for r in run_names if r in present), key=_created)
    done: set[int] = set()
    covers: list[tuple[str, Any]] = []  # (run, the input indexes it covers), oldest first
    mappings: dict[str, list[int] | None] = {}
    failed_in: dict[str, set[int]] = {}
    per_index: dict[str, bool] = {}  # the run fails an index only after its own retries (backoffLimitPerIndex)
    for job in runs:
        run = job["metadata"]["name"]
        mapping = mappings[run] = index_map(job)
        spec, status = job.get("spec") or {}, job.get("status") or {}
        covers.append((run, set(mapping) if mapping is not None else range(int(spec.get("completions") or 0))))
        completed = parse_ranges(status.get("completedIndexes"))
        done.update(completed if mapping is None else (mapping[i] for i in completed if i < len(mapping)))
        failed = parse_ranges(status.get("failedIndexes"))
        failed_in[run] = set(failed if mapping is None else (mapping[i] for i in failed if i < len(mapping)))
        per_index[run] = spec.get("backoffLimitPerIndex") is not None

    def latest(index: int) -> str | None:
        """The newest run that covers an input (asked only for inputs with a pod or a failure)."""
        return next((run for run, covered in reversed(covers) if index in covered), None)

        progress.runs.append({"name": run, "completions": spec.get("completions"),
                              "conditions": [{k: c.get(k) for k in ("type", "reason", "message") if c.get(k)}
                                             for c in status.get("conditions") or [] if c.get("status") == "True"]})
    by_index: dict[int, list[tuple[str, dict]]] = {}
    for pod in pods:
        labels = (pod.get("metadata") or {}).get("labels") or {}
        run = labels.get(JOB_NAME_LABEL) or labels.get("job-name")
        if run not in present or labels.get(INDEX_LABEL) is None:
            continue
        mapping = mappings.get(run)
        local = int(labels[INDEX_LABEL])
        index = mapping[local] if mapping is not None and local < len(mapping) else local
        if latest(index) == run:
            by_index.setdefault(index, []).append((run, pod))
    progress.done = sorted(done)
    for index in sorted(set(by_index).union(*failed_in.values())):
        if index in done:
            continue
        entry = {"index": index, "input": inputs[index] if 0 <= index < len(inputs) else None}
        newest = sorted(by_index.get(index, []), key=lambda item: _created(item[1]))
        live = [(run, pod) for run, pod in newest if (pod.get("status") or {}).get("phase") in ("Running", "Pending")]
        if live:
            run, pod = live[-1]
            reason, _ = pod_reason(pod)
            if (pod.get("status") or {}).get("phase") == "Pending" and reason.split(" (")[0] != "failed":
                progress.waiting.append(entry | {"reason": reason, "pod": pod["metadata"]["name"], "run": run})
            else:
                progress.running.append(index)
            continue
        run = latest(index)
        if run is None:
            continue
        if per_index.get(run) and index not in failed_in.get(run, set()):
            progress.running.append(index)  # between its retries
            continue
        pod = newest[-1][1] if newest else None
        reason, code = pod_reason(pod) if pod else ("failed; its pods are gone", None)
        progress.failed.append(entry | {"reason": reason, "exit_code": code, "run": run,
                                        "pod": pod["metadata"]["name"] if pod else None})
    return progress


def notebook_status(name: str, statefulset: dict | None, service: dict | None, pods: list[dict],
                    url: str | None) -> dict:
    """Ready or not, the URL, restarts, and why it is not ready."""
    if statefulset is None:
        return {"name": name, "kind": "notebook", "state": "missing", "ready": False, "url": url, "restarts": 0}
    url = ((service or {}).get("metadata") or {}).get("annotations", {}).get(URL_ANNOTATION) or url
    status = statefulset.get("status") or {}
    ready = int(status.get("readyReplicas") or 0) >= int((statefulset.get("spec") or {}).get("replicas") or 1)
    mine = [p for p in pods if (p.get("metadata") or {}).get("name", "").startswith(f"{name}-")]
    restarts = sum(int(c.get("restartCount") or 0) for p in mine
                   for c in (p.get("status") or {}).get("containerStatuses") or [])
    result: dict[str, Any] = {"name": name, "kind": "notebook", "state": "ready" if ready else "starting",
                              "ready": ready, "url": url, "restarts": restarts,
                              "pods": [p["metadata"]["name"] for p in mine]}
    if not ready and mine:
        reason, _ = pod_reason(mine[-1])
        if not reason.startswith("failed (no reason"):
            result["reason"] = reason
    return result


__all__ = ["INDEX_LABEL", "JOB_NAME_LABEL", "JobProgress", "htc_progress", "index_map", "notebook_status",
           "pod_reason"]

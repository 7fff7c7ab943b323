"""`SFTTrainer` plus what Agent-FLAN needs: per-capability losses, a stop on all-masked batches, real-token share.

The data arrive pre-tokenised (`agent_flan.training.masks`), so TRL skips its own preparation and trains on our
`labels`. One extra per-token column, `capability_ids`, rides along to `compute_loss`, which reads
the per-token log-probabilities TRL's fused LM head already computes — no second forward pass — and
accumulates a token-weighted loss per capability (and for negative samples) until the next `log`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import torch
from trl import SFTTrainer
from trl.trainer.sft_trainer import DataCollatorForLanguageModeling
from trl.trainer.utils import pad

from agent_flan.core.errors import BadInputError
from agent_flan.core.schema import CAPABILITIES
from agent_flan.training.masks import IGNORE_INDEX, NEGATIVE_OFFSET

LOSS_PREFIX = "loss_by_capability/"
GROUP_NAMES = [*CAPABILITIES, "negative"]  # the last slot collects tokens of negative samples


class EmptyMaskBatchError(BadInputError):
    """A batch without a single trained token: its loss would be 0/0, so the run stops instead."""


@dataclass
class CapabilityCollator(DataCollatorForLanguageModeling):
    """TRL's collator (padding or padding-free) that also carries `capability_ids` and counts real tokens."""

    def torch_call(self, examples: list[dict[str, Any]]) -> dict[str, Any]:
        groups = [torch.tensor(example["capability_ids"]) for example in examples]
        output = super().torch_call(
            [{k: v for k, v in example.items() if k != "capability_ids"} for example in examples]
        )
        if self.padding_free:
            groups = [torch.cat(groups, dim=0)]
        output["capability_ids"] = pad(
            groups, padding_value=IGNORE_INDEX, padding_side="right", pad_to_multiple_of=self.pad_to_multiple_of
        )
        output["capability_ids"][output["labels"] == IGNORE_INDEX] = IGNORE_INDEX  # same positions as the loss
        output["real_tokens"] = torch.tensor(sum(len(example["input_ids"]) for example in examples))
        return output


class _CaptureOutputs:
    """Stands in for the model inside `SFTTrainer.compute_loss` to keep the fused head's outputs."""

    def __init__(self, model: torch.nn.Module, sink: dict[str, Any]):
        self._model = model
        self._sink = sink

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        outputs = self._model(*args, **kwargs)
        if "outputs" not in self._sink and getattr(outputs, "log_probs", None) is not None:
            self._sink["outputs"] = outputs
        return outputs

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


class AgentFlanSFTTrainer(SFTTrainer):
    """SFTTrainer for pre-tokenised Agent-FLAN rows (columns: input_ids, labels, capability_ids[, seq_lengths])."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # TRL refuses a custom collator in padding-free mode; ours is TRL's own plus one column, set up the same way.
        self.data_collator = CapabilityCollator(
            pad_token_id=self.processing_class.pad_token_id,
            padding_free=self.padding_free,
            pad_to_multiple_of=self.args.pad_to_multiple_of,
        )
        n = len(GROUP_NAMES)
        self._window = {mode: torch.zeros(2, n, dtype=torch.float64) for mode in ("train", "eval")}
        self.capability_totals = torch.zeros(2, n, dtype=torch.float64)  # whole run (this process's session)
        self._tokens = defaultdict(int)  # real / total tokens per logging window
        self.token_totals = {"real": 0, "total": 0, "trained": 0}

    def _set_signature_columns_if_needed(self) -> None:
        if self._signature_columns is None:
            self._signature_columns = ["input_ids", "labels", "seq_lengths", "capability_ids"]

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        groups = inputs.pop("capability_ids", None)
        real = inputs.pop("real_tokens", None)
        labels = inputs["labels"]
        trained = int((labels[..., 1:] != IGNORE_INDEX).sum())
        if trained == 0:
            raise EmptyMaskBatchError(
                "a batch has no trained token (every label is -100), so its loss is undefined. The data loader "
                "drops such samples, so this batch was built elsewhere: check the `loss` flags of the rows, the "
                "chat template's {% generation %} blocks, and max_length (run `agent-flan masks` to see them)."
            )
        mode = "train" if self.model.training else "eval"
        sink: dict[str, Any] = {}
        result = super().compute_loss(_CaptureOutputs(model, sink), inputs, return_outputs, num_items_in_batch)
        outputs = sink.get("outputs")
        with torch.no_grad():
            stats = torch.zeros(2, len(GROUP_NAMES), dtype=torch.float64, device=labels.device)
            if groups is not None and outputs is not None:
                nll = -outputs.log_probs.detach().to(torch.float64)
                group = groups[..., 1:].to(nll.device)
                valid = group != IGNORE_INDEX
                ids, losses = group[valid], nll[valid]
                capability = torch.where(ids >= NEGATIVE_OFFSET, ids - NEGATIVE_OFFSET, ids).long()
                stats = stats.to(nll.device)
                stats[0].index_add_(0, capability, losses)
                stats[1].index_add_(0, capability, torch.ones_like(losses))
                negative = ids >= NEGATIVE_OFFSET
                stats[0, -1] += losses[negative].sum()
                stats[1, -1] += negative.sum()
            total = torch.tensor(
                [float(labels.numel()), float(real if real is not None else labels.numel()), float(trained)],
                dtype=torch.float64,
                device=stats.device,
            )
            stats = self.accelerator.reduce(stats, reduction="sum")
            total = self.accelerator.reduce(total, reduction="sum")
        self._window[mode] += stats.cpu()
        self._tokens[f"{mode}_total"] += int(total[0])
        self._tokens[f"{mode}_real"] += int(total[1])
        if mode == "train":
            self.capability_totals += stats.cpu()
            self.token_totals["total"] += int(total[0])
            self.token_totals["real"] += int(total[1])
            self.token_totals["trained"] += int(total[2])
        return result

    def log(self, logs: dict[str, float], start_time: float | None = None) -> None:
        mode = "train" if self.model.training else "eval"
        prefix = "eval_" if mode == "eval" else ""
        sums, counts = self._window[mode]
        for index, name in enumerate(GROUP_NAMES):
            if counts[index] > 0:
                logs[f"{prefix}{LOSS_PREFIX}{name}"] = round(float(sums[index] / counts[index]), 6)
        total = self._tokens.pop(f"{mode}_total", 0)
        real = self._tokens.pop(f"{mode}_real", 0)
        if total:
            logs[f"{prefix}real_token_share"] = round(real / total, 6)
        self._window[mode].zero_()
        super().log(logs, start_time)

    def capability_losses(self) -> dict[str, float]:
        """Token-weighted mean loss per capability over the whole run (this session)."""
        sums, counts = self.capability_totals
        return {name: round(float(sums[i] / counts[i]), 6) for i, name in enumerate(GROUP_NAMES) if counts[i] > 0}

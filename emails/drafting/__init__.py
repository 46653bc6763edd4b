"""Draft re-engagement emails: prompts, the model call, checks and a fallback.

Pure Python with no Django imports, so it runs (and is tested) without a database;
the `emails` services build a `ClientProfile` and an `LlmConfig` from models and
settings and call in here.
"""

from emails.drafting.draft_schema import DraftResult, DraftValidationError
from emails.drafting.llm_client import (
    DraftGenerationError,
    DraftRejectedByGuard,
    LlmConfig,
    draft_complete,
)
from emails.drafting.offer_guard import offer_violations
from emails.drafting.offline_composer import draft_compose_offline
from emails.drafting.profile import ClientProfile
from emails.drafting.prompts import PROMPT_VERSION, RenderedPrompt, prompt_render

__all__ = [
    "PROMPT_VERSION",
    "ClientProfile",
    "DraftGenerationError",
    "DraftRejectedByGuard",
    "DraftResult",
    "DraftValidationError",
    "LlmConfig",
    "RenderedPrompt",
    "draft_complete",
    "draft_compose_offline",
    "offer_violations",
    "prompt_render",
]

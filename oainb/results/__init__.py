"""Result models: what a call returns, pure data with reprs and notebook display."""

from __future__ import annotations

from oainb.results._base import DisplayMixin, ResultModel
from oainb.results.events import REPLY_TERMINAL_EVENTS, ReplyEvent, SpeechEvent, TranscriptEvent
from oainb.results.reply import (
    FunctionCall,
    ImageGenerationCall,
    OutputContent,
    OutputItem,
    OutputMessage,
    OutputText,
    ReasoningItem,
    Refusal,
    Reply,
)
from oainb.results.speech import SpeechClip
from oainb.results.transcript import TokenLogprob, Transcript, TranscriptSegment, TranscriptWord
from oainb.results.usage import InputTokensDetails, OutputTokensDetails, Usage

__all__ = [
    "REPLY_TERMINAL_EVENTS",
    "DisplayMixin",
    "FunctionCall",
    "ImageGenerationCall",
    "InputTokensDetails",
    "OutputContent",
    "OutputItem",
    "OutputMessage",
    "OutputText",
    "OutputTokensDetails",
    "ReasoningItem",
    "Refusal",
    "Reply",
    "ReplyEvent",
    "ResultModel",
    "SpeechClip",
    "SpeechEvent",
    "TokenLogprob",
    "Transcript",
    "TranscriptEvent",
    "TranscriptSegment",
    "TranscriptWord",
    "Usage",
]

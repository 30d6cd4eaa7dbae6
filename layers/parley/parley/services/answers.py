"""The answer pipeline, shared by REST and WebSocket chat.

guard → redact → condense with history → retrieve (hybrid) → a Q&A pair's answer, or pack → generate → cite →
store. What the model is given lives in parley.answers.prompts, how the answer reaches a listener and its
citations in parley.answers.citations; this service decides which path an answer takes and records it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from datetime import datetime

from parley.answers.abstention import answerable, not_found
from parley.answers.citations import Relay, citation, resolve
from parley.answers.extractive import extractive_answer
from parley.answers.prompts import condense_input, model_input, packed, within_budget
from parley.domain.analytics import answer_tally
from parley.domain.chatbots import DEFAULT_SPENDING_LIMITS, Chatbot, SpendingLimits
from parley.domain.common import RATE_WINDOW_SECONDS, new_id, utcnow
from parley.domain.conversations import (
    AnswerMode,
    Conversation,
    Message,
    QueryRequest,
    QueryResult,
    SearchHit,
    SearchRequest,
    SearchResult,
    Usage,
)
from parley.domain.gaps import Gap
from parley.domain.model_prices import estimated_cost
from parley.domain.passages import Passage
from parley.errors import ConversationNotFound, StreamInterrupted, UpstreamUnavailable
from parley.observability import answer_outcome, logger, record, record_model_use
from parley.ports import AnswerListener, ChatbotStore, ConversationStore, LanguageModel, RateLimiter
from parley.resilience import CircuitBreakers
from parley.services.chatbots import find_chatbot
from parley.services.quotas import Quotas
from parley.services.retrieval import Retriever
from parley.text.privacy import redact

# The conversation's latest messages a follow-up is read with (then cut to the prompt's history budget).
HISTORY_MESSAGES = 12


class _AnswerCut(Exception):
    """The model failed after part of its answer reached the listener: no fallback can follow those words."""


class AnswerService:
    def __init__(
        self,
        chatbots: ChatbotStore,
        conversations: ConversationStore,
        retriever: Retriever,
        llm: LanguageModel | None,
        limiter: RateLimiter,
        *,
        quotas: Quotas,
        tenant_questions_per_minute: int,
        limits: SpendingLimits = DEFAULT_SPENDING_LIMITS,
        default_min_relevance: float,
        qa_threshold: float | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.chatbots = chatbots
        self.conversations = conversations
        self.retriever = retriever
        self.llm = llm
        self.limiter = limiter
        self.quotas = quotas
        self.tenant_questions_per_minute = tenant_questions_per_minute
        self.limits = limits
        self.default_min_relevance = default_min_relevance
        # How similar a question must be to a Q&A pair's question for the pair to answer it as written; None: never.
        self.qa_threshold = qa_threshold
        # Search per tenant (its own namespace), the model per tenant and model name (a tenant's own choice).
        self.retrieval_breakers = CircuitBreakers("search")
        self.llm_breakers = CircuitBreakers("language model")
        self.clock = clock

    def search(self, tenant_id: str, chatbot_id: str, request: SearchRequest) -> SearchResult:
        chatbot = find_chatbot(self.chatbots, tenant_id, chatbot_id)
        passages = self._retrieve(chatbot, request.query, request.top_k or chatbot.top_k)
        return SearchResult(
            results=[
                SearchHit(
                    document_id=p.document_id,
                    filename=p.filename,
                    chunk_id=p.chunk_id,
                    score=p.score,
                    similarity=p.similarity,
                    text=p.text,
                )
                for p in passages
            ],
            answerable=answerable(passages, self._min_relevance(chatbot)),
        )

    def _min_relevance(self, chatbot: Chatbot) -> float:
        return self.default_min_relevance if chatbot.min_relevance is None else chatbot.min_relevance

    def ask(
        self,
        tenant_id: str,
        chatbot_id: str,
        request: QueryRequest,
        *,
        user_id: str,
        listener: AnswerListener | None = None,
    ) -> QueryResult:
        """An owner's question (REST or WebSocket): counted against the tenant's quota, then answered."""
        self.limiter.hit(tenant_id, "questions", self.tenant_questions_per_minute, RATE_WINDOW_SECONDS)
        return self.answer(tenant_id, chatbot_id, request, started_by=user_id, listener=listener)

    def answer(
        self,
        tenant_id: str,
        chatbot_id: str,
        request: QueryRequest,
        *,
        started_by: str | None = None,
        listener: AnswerListener | None = None,
    ) -> QueryResult:
        """Answer from the chatbot's documents and store both messages; the conversation must be this chatbot's.

        A `listener` is told the ids, then handed the answer as it is written, references already numbered as
        the citations will be. If it stops listening (StreamInterrupted), generation stops and the part written
        so far is stored, marked interrupted; so it is when the model fails mid-answer, and the listener is then
        told with UpstreamUnavailable, raised once both messages are stored."""
        started, asked_at = time.perf_counter(), self.clock()
        # The tenant's questions and tokens are ranked from this function's logs (template.yaml).
        logger.append_keys(tenant_id=tenant_id, chatbot_id=chatbot_id)
        chatbot = find_chatbot(self.chatbots, tenant_id, chatbot_id)
        conversation, history = self._conversation(chatbot, request.conversation_id, started_by)
        logger.append_keys(conversation_id=conversation.id)
        # Counted before it is answered (owners' and visitors' questions alike); given back if search fails.
        limits = self.quotas.acquire(tenant_id, "questions").narrow(self.limits)
        question = redact(request.question)[0] if chatbot.redact_pii else request.question
        llm = self.llm
        passages = self._passages(chatbot, llm, question, history, limits=limits, asked_at=asked_at)
        direct = self._matching_pair(passages)
        found = direct is not None or answerable(passages, self._min_relevance(chatbot))
        sources = [direct] if direct else packed(passages) if found else []
        message_id = new_id()
        relay = Relay(listener, sources, verbatim=direct is not None) if listener else None
        try:
            if listener:
                listener.started(conversation.id, message_id)
            text, usage, mode, degraded = self._reply(
                chatbot, llm, question, history, sources, direct=direct, found=found, limits=limits, relay=relay
            )
            if relay:
                relay.finish()
            interrupted = cut = False
        except (StreamInterrupted, _AnswerCut) as stopped:
            # Only a streamed answer stops part-way; its stream ended with no usage figures.
            text = relay.written if relay else ""
            mode = "qa" if direct else "llm" if llm else "extractive"
            usage, degraded, interrupted = Usage(), False, True
            cut = isinstance(stopped, _AnswerCut)
        answer, citations = (text, [citation(direct)]) if direct else resolve(text, sources)
        now = self.clock()
        latency_ms = int((time.perf_counter() - started) * 1000)
        asked = Message(
            id=new_id(), conversation_id=conversation.id, role="user", content=question, created_at=asked_at
        )
        answered = Message(
            id=message_id,
            conversation_id=conversation.id,
            role="assistant",
            content=answer,
            citations=citations,
            mode=mode,
            degraded=degraded,
            interrupted=interrupted,
            answerable=found,
            usage=usage,
            latency_ms=latency_ms,
            created_at=now,
        )
        is_new = conversation.message_count == 0
        if is_new:
            conversation = conversation.model_copy(update={"title": question[:80], "started_by": started_by})
        conversation = conversation.model_copy(
            update={"updated_at": now, "message_count": conversation.message_count + 2}
        )
        # Priced as the model that answered (the plan's narrowing included), as the EstimatedModelCost metric prices
        # its calls; a model the price table lacks costs nothing here, as it adds nothing to that metric.
        tally = answer_tally(
            answered, new_conversation=is_new, cost_usd=estimated_cost(limits.model_for(chatbot), usage) or 0.0
        )
        # A question the documents did not cover is a knowledge gap (one cut short by its listener is not known to be).
        gaps = (
            []
            if found or interrupted
            else [
                Gap(
                    chatbot_id=chatbot.id,
                    conversation_id=conversation.id,
                    question=question,
                    reason="abstained",
                    asked_at=asked_at,
                )
            ]
        )
        self.conversations.append(conversation, [asked, answered], new=is_new, tally=tally, gaps=gaps)
        outcome = answer_outcome(mode, degraded=degraded, interrupted=interrupted, answerable=found)
        record("Answers", mode=outcome, tenant_id=tenant_id, chatbot_id=chatbot_id)
        record("AnswerLatency", latency_ms, tenant_id=tenant_id, chatbot_id=chatbot_id)
        if relay and relay.first_token_at is not None:
            first_token_ms = int((relay.first_token_at - started) * 1000)
            record("TimeToFirstToken", first_token_ms, tenant_id=tenant_id, chatbot_id=chatbot_id)
        if cut:
            raise UpstreamUnavailable("The language model stopped mid-answer; ask again")
        logger.info(
            "Question answered",
            extra={
                "mode": mode,
                "outcome": outcome,
                "model_tokens": usage.total_tokens,
                "degraded": degraded,
                "interrupted": interrupted,
                "answerable": found,
                "latency_ms": latency_ms,
            },
        )
        return QueryResult(
            answer=answer,
            citations=citations,
            conversation_id=conversation.id,
            message_id=answered.id,
            mode=mode,
            usage=usage,
            degraded=degraded,
            answerable=found,
        )

    def _matching_pair(self, passages: Sequence[Passage]) -> Passage | None:
        """The retrieved Q&A pair whose question is most similar to the one asked, if at least `qa_threshold`."""
        if self.qa_threshold is None:
            return None
        threshold = self.qa_threshold
        matching = [passage for passage in passages if passage.pair and passage.similarity >= threshold]
        return max(matching, key=lambda passage: passage.similarity, default=None)

    def _conversation(
        self, chatbot: Chatbot, conversation_id: str | None, started_by: str | None
    ) -> tuple[Conversation, list[Message]]:
        if conversation_id is None:
            now = self.clock()
            fresh = Conversation(
                id=new_id(),
                tenant_id=chatbot.tenant_id,
                chatbot_id=chatbot.id,
                title="",
                created_at=now,
                updated_at=now,
            )
            return fresh, []
        conversation = self.conversations.get(chatbot.tenant_id, chatbot.id, conversation_id)
        # A conversation goes on only with whoever started it (one visitor cannot join another's chat).
        if conversation is None or conversation.started_by != started_by:
            raise ConversationNotFound()
        recent = self.conversations.recent_messages(chatbot.tenant_id, conversation.id, HISTORY_MESSAGES)
        return conversation, within_budget(recent)

    def _passages(
        self,
        chatbot: Chatbot,
        llm: LanguageModel | None,
        question: str,
        history: list[Message],
        *,
        limits: SpendingLimits,
        asked_at: datetime,
    ) -> list[Passage]:
        """The passages to answer from; if search fails, the question counted against the plan is given back."""
        try:
            standalone = self._condense(chatbot, llm, question, history, limits=limits)
            return self._retrieve(chatbot, standalone, chatbot.top_k)
        except UpstreamUnavailable:
            self.quotas.release(chatbot.tenant_id, "questions", counted_at=asked_at)
            raise

    def _condense(
        self,
        chatbot: Chatbot,
        llm: LanguageModel | None,
        question: str,
        history: list[Message],
        *,
        limits: SpendingLimits,
    ) -> str:
        """A follow-up rewritten so it can be searched on its own."""
        if not history:
            return question
        model = limits.model_for(chatbot)
        breaker = self.llm_breakers[chatbot.tenant_id, model]
        if llm is not None and not breaker.open:
            request = condense_input(history, question)
            try:
                rewritten = breaker.call(lambda: llm.complete(request, model=model, temperature=0, max_tokens=200))
                record_model_use(model, rewritten.usage, tenant_id=chatbot.tenant_id, chatbot_id=chatbot.id)
                if rewritten.text.strip():
                    return rewritten.text.strip()
            except Exception:
                logger.warning("Could not rewrite the follow-up; searching with the previous question added")
        previous = next((message.content for message in reversed(history) if message.role == "user"), "")
        return f"{previous} {question}".strip()

    def _retrieve(self, chatbot: Chatbot, query: str, top_k: int) -> list[Passage]:
        started = time.perf_counter()
        try:
            passages = self.retrieval_breakers[chatbot.tenant_id].call(
                lambda: self.retriever.search(chatbot.tenant_id, chatbot.id, query, top_k)
            )
        except Exception as error:
            logger.exception("Retrieval failed")
            raise UpstreamUnavailable("Search is temporarily unavailable; try again shortly") from error
        latency_ms = int((time.perf_counter() - started) * 1000)
        record("RetrievalLatency", latency_ms, tenant_id=chatbot.tenant_id, chatbot_id=chatbot.id)
        return passages

    def _reply(
        self,
        chatbot: Chatbot,
        llm: LanguageModel | None,
        question: str,
        history: list[Message],
        sources: list[Passage],
        *,
        direct: Passage | None,
        found: bool,
        limits: SpendingLimits,
        relay: Relay | None,
    ) -> tuple[str, Usage, AnswerMode, bool]:
        """The answer: a matching Q&A pair's, the model's from the sources, or that the documents do not cover it."""
        if direct is not None and direct.pair is not None:
            # The owner's own answer to this question: given as written, with no model call.
            text = direct.pair.answer
        elif found:
            return self._generate(chatbot, llm, question, history, sources, limits=limits, relay=relay)
        else:
            # Nothing to answer from: say so, and spend no model tokens.
            text = not_found(question)
        if relay:
            relay.token(text)
        return text, Usage(), "qa" if direct else "extractive", False

    def _generate(
        self,
        chatbot: Chatbot,
        llm: LanguageModel | None,
        question: str,
        history: list[Message],
        sources: list[Passage],
        *,
        limits: SpendingLimits,
        relay: Relay | None,
    ) -> tuple[str, Usage, AnswerMode, bool]:
        """The answer text (with [n] references), its usage, its mode, and whether it is a fallback."""
        on_token = relay.token if relay else None
        if llm is None:
            text = extractive_answer(question, sources)
            if on_token:
                on_token(text)
            return text, Usage(), "extractive", False
        messages = model_input(chatbot, history, question, sources)
        model = limits.model_for(chatbot)
        try:
            completion = self.llm_breakers[chatbot.tenant_id, model].call(
                lambda: llm.complete(
                    messages,
                    model=model,
                    temperature=chatbot.temperature,
                    max_tokens=limits.max_tokens_for(chatbot),
                    on_token=on_token,
                )
            )
        except StreamInterrupted:
            raise
        except Exception as error:
            if relay and relay.pieces:
                logger.exception("Language model failed mid-answer")
                with suppress(StreamInterrupted):
                    relay.finish()  # the listener gets every word that is stored
                raise _AnswerCut from error
            # Retrieval worked: the passages still answer, without the model's prose.
            logger.exception("Language model failed; answering extractively")
            text = extractive_answer(question, sources)
            if on_token:
                on_token(text)
            return text, Usage(), "extractive", True
        record_model_use(model, completion.usage, tenant_id=chatbot.tenant_id, chatbot_id=chatbot.id)
        return completion.text, completion.usage, "llm", False

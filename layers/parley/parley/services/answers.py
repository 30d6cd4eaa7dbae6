"""The answer pipeline, shared by REST and WebSocket chat.

guard → redact → condense with history → retrieve (hybrid) → a Q&A pair's answer, or pack → generate → cite →
store. What the model is given lives in parley.answers.prompts, how the answer reaches a listener and its
citations in parley.answers.citations; this service decides which path an answer takes and records it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime

from parley.answers.abstention import answerable, is_not_found, not_found
from parley.answers.citations import Relay, citation, resolve
from parley.answers.extractive import Extract, ExtractiveAnswerer, JudgedQuestion
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
from parley.services.retrieval import Retrieval, Retriever
from parley.text.privacy import redact

# The conversation's latest messages a follow-up is read with (then cut to the prompt's history budget).
HISTORY_MESSAGES = 12
# The passages an extractive answer looks for its sentence in (a chatbot's top_k, if larger): the sentence that answers
# may sit in a passage that ranks below the first few (tests/benchmarks/tune_answers.py).
EXTRACTIVE_POOL = 20


@dataclass(frozen=True)
class _Question:
    """A question as asked, as searched, and as its answer is judged: a follow-up is searched with the conversation,
    but without a model to rewrite it, judged on its own words (the earlier question's would pick the earlier answer
    again)."""

    asked: str
    searched: str
    judged: str


@dataclass(frozen=True)
class _Reply:
    text: str
    usage: Usage
    mode: AnswerMode
    degraded: bool
    sources: list[Passage]  # what the text's [n] point at
    found: bool  # whether the documents answered (False: the not-found answer)


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
        extractive: ExtractiveAnswerer,
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
        # Picks the sentences that answer when no model writes the answer (or the model fails).
        self.extractive = extractive
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
        passages = self._retrieve(chatbot, request.query, request.top_k or chatbot.top_k).passages
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
        token_hash: str | None = None,
        listener: AnswerListener | None = None,
    ) -> QueryResult:
        """Answer from the chatbot's documents and store both messages; the conversation must be this chatbot's.
        A new conversation keeps `token_hash` (a visitor's conversation token's, services/public_chat.py).

        A `listener` is told the ids, then handed the answer as it is written, references already numbered as
        the citations will be. If it stops listening (StreamInterrupted), generation stops and the part written
        so far is stored, marked interrupted; so it is when the model fails mid-answer, and the listener is then
        told with UpstreamUnavailable, raised once both messages are stored."""
        started, asked_at = time.perf_counter(), self.clock()
        # The tenant's questions and tokens are ranked from this function's logs (template.yaml).
        logger.append_keys(tenant_id=tenant_id, chatbot_id=chatbot_id)
        chatbot = find_chatbot(self.chatbots, tenant_id, chatbot_id)
        conversation, history = self._conversation(chatbot, request.conversation_id, started_by, token_hash)
        logger.append_keys(conversation_id=conversation.id)
        # Counted before it is answered (owners' and visitors' questions alike), given back unless it is answered: a
        # question refused or failed never counts against the plan.
        limits = self.quotas.acquire(tenant_id, "questions").narrow(self.limits)
        try:
            return self._answer(
                chatbot,
                conversation,
                history,
                request,
                started_by=started_by,
                listener=listener,
                limits=limits,
                started=started,
                asked_at=asked_at,
            )
        except BaseException:
            self.quotas.release(tenant_id, "questions", counted_at=asked_at)
            raise

    def _answer(
        self,
        chatbot: Chatbot,
        conversation: Conversation,
        history: list[Message],
        request: QueryRequest,
        *,
        started_by: str | None,
        listener: AnswerListener | None,
        limits: SpendingLimits,
        started: float,
        asked_at: datetime,
    ) -> QueryResult:
        tenant_id, chatbot_id = chatbot.tenant_id, chatbot.id
        question = redact(request.question)[0] if chatbot.redact_pii else request.question
        llm = self.llm
        phrased, retrieval = self._passages(chatbot, llm, question, history, limits=limits)
        direct, found, sources, quoted = self._sources(chatbot, llm, phrased, retrieval)
        message_id = new_id()
        relay = Relay(listener, sources, verbatim=direct is not None) if listener else None
        try:
            if listener:
                listener.started(conversation.id, message_id)
            reply = self._reply(
                chatbot,
                llm,
                phrased,
                history,
                sources=sources,
                retrieval=retrieval,
                direct=direct,
                found=found,
                quoted=quoted,
                limits=limits,
                relay=relay,
            )
            if relay:
                relay.finish()
            text, usage, mode, degraded = reply.text, reply.usage, reply.mode, reply.degraded
            sources, found = reply.sources, reply.found
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

    def _sources(
        self, chatbot: Chatbot, llm: LanguageModel | None, asked: _Question, retrieval: Retrieval
    ) -> tuple[Passage | None, bool, list[Passage], str]:
        """A Q&A pair that answers as written (if any), whether the documents answer, the passages to answer from,
        and the extractive answer's quoted sentences (else ""): the pair; without a model, the passages judged, those
        quoted marked; else the best that fit the model's context, if one comes close enough to the question."""
        passages = retrieval.passages
        direct = self._matching_pair(passages)
        if direct is not None:
            return direct, True, [direct], ""
        if llm is None:
            extract = self._extract_from(chatbot, asked, retrieval)
            return None, extract is not None, extract.sources if extract else [], extract.text if extract else ""
        found = answerable(passages, self._min_relevance(chatbot))
        return None, found, packed(passages) if found else [], ""

    def _matching_pair(self, passages: Sequence[Passage]) -> Passage | None:
        """The retrieved Q&A pair whose question is most similar to the one asked, if at least `qa_threshold`."""
        if self.qa_threshold is None:
            return None
        threshold = self.qa_threshold
        matching = [passage for passage in passages if passage.pair and passage.similarity >= threshold]
        return max(matching, key=lambda passage: passage.similarity, default=None)

    def _conversation(
        self, chatbot: Chatbot, conversation_id: str | None, started_by: str | None, token_hash: str | None
    ) -> tuple[Conversation, list[Message]]:
        if conversation_id is None:
            now = self.clock()
            fresh = Conversation(
                id=new_id(),
                tenant_id=chatbot.tenant_id,
                chatbot_id=chatbot.id,
                title="",
                token_hash=token_hash,
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
    ) -> tuple[_Question, Retrieval]:
        """The question as searched and judged, and what search found for it (without a model, the wider pool an
        extractive answer looks for its sentence in)."""
        asked = self._condense(chatbot, llm, question, history, limits=limits)
        top_k = chatbot.top_k if llm else max(chatbot.top_k, EXTRACTIVE_POOL)
        return asked, self._retrieve(chatbot, asked.searched, top_k)

    def _condense(
        self,
        chatbot: Chatbot,
        llm: LanguageModel | None,
        question: str,
        history: list[Message],
        *,
        limits: SpendingLimits,
    ) -> _Question:
        """A follow-up rewritten so it can be searched on its own (by the model, else with the previous question)."""
        if not history:
            return _Question(question, question, question)
        model = limits.model_for(chatbot)
        breaker = self.llm_breakers[chatbot.tenant_id, model]
        if llm is not None and not breaker.open:
            request = condense_input(history, question)
            try:
                rewritten = breaker.call(lambda: llm.complete(request, model=model, temperature=0, max_tokens=200))
                record_model_use(model, rewritten.usage, tenant_id=chatbot.tenant_id, chatbot_id=chatbot.id)
                if rewritten.text.strip():
                    return _Question(question, rewritten.text.strip(), rewritten.text.strip())
            except Exception:
                logger.warning("Could not rewrite the follow-up; searching with the previous question added")
        previous = next((message.content for message in reversed(history) if message.role == "user"), "")
        return _Question(question, f"{previous} {question}".strip(), question)

    def _retrieve(self, chatbot: Chatbot, query: str, top_k: int) -> Retrieval:
        started = time.perf_counter()
        try:
            retrieval = self.retrieval_breakers[chatbot.tenant_id].call(
                lambda: self.retriever.retrieve(chatbot.tenant_id, chatbot.id, query, top_k)
            )
        except Exception as error:
            logger.exception("Retrieval failed")
            raise UpstreamUnavailable("Search is temporarily unavailable; try again shortly") from error
        latency_ms = int((time.perf_counter() - started) * 1000)
        record("RetrievalLatency", latency_ms, tenant_id=chatbot.tenant_id, chatbot_id=chatbot.id)
        return retrieval

    def _extract_from(self, chatbot: Chatbot, asked: _Question, retrieval: Retrieval) -> Extract | None:
        """The extractive answer (None: not found). The sentence decides: a chatbot's own `min_relevance`, if it set
        one, must be reached by a passage as well."""
        top = retrieval.passages[: chatbot.top_k]
        if chatbot.min_relevance is not None and not answerable(top, chatbot.min_relevance):
            return None
        return self.extractive.answer(self._judged(asked, retrieval), retrieval.passages)

    @staticmethod
    def _judged(asked: _Question, retrieval: Retrieval) -> JudgedQuestion:
        searched = JudgedQuestion(asked.searched, retrieval.vector, retrieval.weights)
        return searched if asked.judged == asked.searched else searched.about(asked.judged)

    def _reply(
        self,
        chatbot: Chatbot,
        llm: LanguageModel | None,
        asked: _Question,
        history: list[Message],
        *,
        sources: list[Passage],
        retrieval: Retrieval,
        direct: Passage | None,
        found: bool,
        quoted: str,
        limits: SpendingLimits,
        relay: Relay | None,
    ) -> _Reply:
        """The answer: a matching Q&A pair's, the quoted sentences, the model's from the sources, or that the documents
        do not cover it."""
        mode: AnswerMode
        if direct is not None and direct.pair is not None:
            # The owner's own answer to this question: given as written, with no model call.
            text, mode = direct.pair.answer, "qa"
        elif found and llm is None:
            # Two sentences may be quoted from one passage: the text is the extract's, not one quote per source.
            text, mode = quoted, "extractive"
        elif found and llm is not None:
            return self._generate(
                chatbot, llm, asked, history, sources=sources, retrieval=retrieval, limits=limits, relay=relay
            )
        else:
            # Nothing to answer from: say so, and spend no model tokens.
            text, mode = not_found(asked.asked), "extractive"
        if relay:
            relay.token(text)
        return _Reply(text, Usage(), mode, False, sources, found)

    def _generate(
        self,
        chatbot: Chatbot,
        llm: LanguageModel,
        asked: _Question,
        history: list[Message],
        *,
        sources: list[Passage],
        retrieval: Retrieval,
        limits: SpendingLimits,
        relay: Relay | None,
    ) -> _Reply:
        """The model's answer (with [n] references) from the sources; the quoted sentences if it fails before a word
        of it reached the listener."""
        on_token = relay.token if relay else None
        messages = model_input(chatbot, history, asked.asked, sources)
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
            extract = self.extractive.answer(self._judged(asked, retrieval), sources)
            text = extract.text if extract else not_found(asked.asked)
            if on_token:
                on_token(text)
            return _Reply(text, Usage(), "extractive", True, extract.sources if extract else sources, bool(extract))
        record_model_use(model, completion.usage, tenant_id=chatbot.tenant_id, chatbot_id=chatbot.id)
        # The model says the sources do not hold the answer in the words it was given for it (answers/prompts.py).
        return _Reply(completion.text, completion.usage, "llm", False, sources, not is_not_found(completion.text))

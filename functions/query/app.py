"""Query function: search a chatbot's documents, answer owners and website visitors, read and export conversations,
take ratings of answers, read a chatbot's analytics, and let members answer visitors who asked for a person."""

from parley.api import build_app
from parley.api.routes import analytics, answers, conversations, exports, feedback, gaps, handoffs, public
from parley.observability import lambda_entry
from parley.settings import Resource

handler = lambda_entry(
    build_app(
        exports.router,
        answers.router,
        conversations.router,
        public.router,
        feedback.router,
        analytics.router,
        handoffs.router,
        gaps.router,
    ),
    needs=[Resource.TABLE, Resource.DOCUMENTS_BUCKET, Resource.WEBSOCKET_API],
    calls_models=True,
)

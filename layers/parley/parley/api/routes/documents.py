from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status

from parley.api.deps import allowed, service
from parley.api.params import ChatbotId, DocumentId, PageQuery
from parley.api.responses import errors
from parley.domain.accounts import Caller
from parley.domain.documents import Document, DocumentCreate, DocumentList, DocumentPublic, DocumentUpload
from parley.services.documents import DocumentService

DocumentServiceDep = Annotated[DocumentService, service(lambda c: c.documents)]

Reader = Annotated[Caller, allowed("documents:read")]
Manager = Annotated[Caller, allowed("documents:manage")]

router = APIRouter(prefix="/chatbots/{chatbot_id}/documents", responses=errors(401, 403, 404))


def _public(document: Document) -> DocumentPublic:
    replacing_with = document.awaited.version if document.awaited else None
    return DocumentPublic.model_validate({**document.model_dump(), "replacing_with": replacing_with})


@router.post("", status_code=status.HTTP_201_CREATED, responses=errors(400, 402, 413, 415, 422))
def create_document(
    chatbot_id: ChatbotId, body: DocumentCreate, caller: Manager, documents: DocumentServiceDep
) -> DocumentUpload:
    """Register a file and get the URL to upload it to; indexing starts when the upload lands."""
    document, ticket = documents.create(caller.tenant_id, chatbot_id, body)
    return DocumentUpload(document=_public(document), upload=ticket)


@router.put("/{document_id}", responses=errors(400, 409, 413, 415, 422))
def replace_document(
    chatbot_id: ChatbotId, document_id: DocumentId, body: DocumentCreate, caller: Manager, documents: DocumentServiceDep
) -> DocumentUpload:
    """Get the URL to upload a new version of a document to. Its current content answers until the new one is indexed,
    under the same id; a new version's upload that fails leaves the document failed with its reason. 409 while the
    document is being indexed or still waits for its first upload, and for a source's documents."""
    document, ticket = documents.replace(caller.tenant_id, chatbot_id, document_id, body)
    return DocumentUpload(document=_public(document), upload=ticket)


@router.get("", responses=errors(400, 422))
def list_documents(
    chatbot_id: ChatbotId, page: PageQuery, caller: Reader, documents: DocumentServiceDep
) -> DocumentList:
    found = documents.list(caller.tenant_id, chatbot_id, page)
    return DocumentList(items=[_public(document) for document in found.items], next_cursor=found.next_cursor)


@router.get("/{document_id}")
def get_document(
    chatbot_id: ChatbotId, document_id: DocumentId, caller: Reader, documents: DocumentServiceDep
) -> DocumentPublic:
    return _public(documents.get(caller.tenant_id, chatbot_id, document_id))


@router.delete("/{document_id}", status_code=status.HTTP_204_NO_CONTENT, responses=errors(409))
def delete_document(
    chatbot_id: ChatbotId, document_id: DocumentId, caller: Manager, documents: DocumentServiceDep
) -> Response:
    documents.delete(caller.tenant_id, chatbot_id, document_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""Zendesk's published API spec for the spec-checked Zendesk tests, and what its split copy lacks.

``../shared/specs/zendesk/*.openapi.yml`` is Zendesk's own ``oas.yaml`` split per area (see the
specs' README). The split kept each area's paths and response wrappers but not the shared
components they refer to (``TicketObject``, ``TicketCommentObject``, ``UserObject``, the
``TicketId`` parameter...), nor the search area. The definitions below fill exactly those gaps,
written from Zendesk's reference pages (cited per entry); the checker never lets them replace
what the vendor's files define. Objects stay open (Zendesk adds fields) except the ticket
update we send, which is closed so a misplaced field is caught.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deskpilot.testing import OpenApiSpec, use_openapi_spec

SPECS = Path(__file__).resolve().parents[3] / "shared" / "specs" / "zendesk"
SPEC_FILES = sorted(SPECS.glob("*.openapi.yml"))

_INT = {"type": "integer"}
_STR = {"type": "string"}
_BOOL = {"type": "boolean"}
_OPT_INT = {"type": ["integer", "null"]}
_OPT_STR = {"type": ["string", "null"]}
_TIME = {"type": "string", "format": "date-time"}

# https://developer.zendesk.com/api-reference/introduction/pagination/ and .../side_loading/:
# documented once for every list endpoint, not per operation.
EXTRA_QUERY: dict[str, dict[str, Any]] = {
    "page": {"type": "integer", "minimum": 1},
    "per_page": {"type": "integer", "minimum": 1, "maximum": 1000},  # the export: up to 1000
    "page[size]": {"type": "integer", "minimum": 1, "maximum": 100},
    "page[after]": _STR,
    "page[before]": _STR,
    "include": _STR,
    "sort_order": {"type": "string", "enum": ["asc", "desc"]},
}

COMPONENTS: dict[str, dict[str, Any]] = {
    "parameters": {
        # .../tickets/tickets/#show-ticket
        "TicketId": {"name": "ticket_id", "in": "path", "required": True, "schema": _INT},
        # .../ticket-management/incremental_exports/#incremental-ticket-export-cursor-based
        "IncrementalUnixTime": {"name": "start_time", "in": "query", "schema": _INT},
        "IncrementalCursor": {"name": "cursor", "in": "query", "schema": _STR},
    },
    "schemas": {
        # .../tickets/tickets/#json-format
        "TicketObject": {
            "type": "object",
            "properties": {
                "id": _INT,
                "url": _STR,
                "external_id": _OPT_STR,
                "type": {
                    "type": ["string", "null"],
                    "enum": ["problem", "incident", "question", "task", None],
                },
                "subject": _OPT_STR,
                "raw_subject": _OPT_STR,
                "description": _STR,
                "priority": {
                    "type": ["string", "null"],
                    "enum": ["urgent", "high", "normal", "low", None],
                },
                # "deleted": how the incremental export reports a deleted ticket.
                "status": {
                    "type": "string",
                    "enum": ["new", "open", "pending", "hold", "solved", "closed", "deleted"],
                },
                "recipient": _OPT_STR,
                "requester_id": _INT,
                "submitter_id": _INT,
                "assignee_id": _OPT_INT,
                "organization_id": _OPT_INT,
                "group_id": _OPT_INT,
                "collaborator_ids": {"type": "array", "items": _INT},
                "follower_ids": {"type": "array", "items": _INT},
                "email_cc_ids": {"type": "array", "items": _INT},
                "problem_id": _OPT_INT,
                "has_incidents": _BOOL,
                "is_public": _BOOL,
                "due_at": _OPT_STR,
                "tags": {"type": "array", "items": _STR},
                "custom_fields": {"type": "array", "items": {"type": "object"}},
                "satisfaction_rating": {"type": ["object", "null"]},
                "sharing_agreement_ids": {"type": "array", "items": _INT},
                "via": {"$ref": "#/components/schemas/ViaObject"},
                "created_at": _TIME,
                "updated_at": _TIME,
                "generated_timestamp": _INT,
            },
        },
        # .../tickets/ticket_comments/#json-format
        "TicketCommentObject": {
            "type": "object",
            "properties": {
                "id": _INT,
                "type": {"type": "string", "enum": ["Comment", "VoiceComment"]},
                "author_id": _INT,
                "body": _STR,
                "html_body": _STR,
                "plain_body": _STR,
                "public": _BOOL,
                "attachments": {
                    "type": "array",
                    "items": {"$ref": "#/components/schemas/AttachmentObject"},
                },
                "audit_id": _INT,
                "via": {"$ref": "#/components/schemas/ViaObject"},
                "created_at": _TIME,
                "metadata": {"type": "object"},
                "uploads": {"type": "array", "items": _STR},
            },
        },
        # .../tickets/ticket-attachments/#json-format
        "AttachmentObject": {
            "type": "object",
            "properties": {
                "id": _INT,
                "file_name": _STR,
                "content_url": _STR,
                "mapped_content_url": _STR,
                "content_type": _STR,
                "size": _INT,
                "inline": _BOOL,
                "deleted": _BOOL,
                "url": _STR,
                "thumbnails": {"type": "array"},
            },
        },
        "ViaObject": {
            "type": "object",
            "properties": {"channel": _STR, "source": {"type": "object"}},
        },
        # .../users/users/#json-format
        "UserObject": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "id": _OPT_INT,  # null: the anonymous user /users/me answers without credentials
                "name": _STR,
                "email": _OPT_STR,
                "role": {"type": "string", "enum": ["end-user", "agent", "admin"]},
                "active": _BOOL,
                "created_at": _TIME,
                "updated_at": _TIME,
                "phone": _OPT_STR,
            },
        },
        # .../tickets/ticket_audits/#json-format
        "AuditObject": {"$ref": "#/components/schemas/TicketAuditObject"},
        "TicketAuditObject": {
            "type": "object",
            "properties": {
                "id": _INT,
                "ticket_id": _INT,
                "author_id": _INT,
                "created_at": _TIME,
                "metadata": {
                    "type": "object",
                    "properties": {"custom": {"type": "object"}, "system": {"type": "object"}},
                },
                "via": {"$ref": "#/components/schemas/ViaObject"},
                "events": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["id", "type"],
                        "properties": {"id": _INT, "type": _STR},
                    },
                },
            },
        },
        # .../tickets/tickets/#update-ticket, and "Setting Metadata" on the same page: custom
        # metadata given with an update is kept on that update's audit.
        "TicketUpdateRequest": {
            "type": "object",
            "required": ["ticket"],
            "additionalProperties": False,
            "properties": {"ticket": {"$ref": "#/components/schemas/TicketUpdateInput"}},
        },
        "TicketUpdateInput": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "comment": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "body": _STR,
                        "html_body": _STR,
                        "public": _BOOL,
                        "author_id": _INT,
                        "uploads": {"type": "array", "items": _STR},
                    },
                },
                "metadata": {"type": "object"},
                "status": {
                    "type": "string",
                    "enum": ["new", "open", "pending", "hold", "solved", "closed"],
                },
                "priority": {"type": "string", "enum": ["urgent", "high", "normal", "low"]},
                "assignee_id": _INT,
                "group_id": _INT,
                "tags": {"type": "array", "items": _STR},
                "subject": _STR,
                "safe_update": _BOOL,
                "updated_stamp": _STR,
            },
        },
        # .../ticket-management/search/ (SearchResultObject)
        "SearchResultObject": {
            "type": "object",
            "required": ["id", "result_type"],
            "properties": {"id": _INT, "result_type": _STR, "url": _STR},
        },
    },
}

# The search area is not in the shared copy; this is Zendesk's "List Search Results"
# (https://developer.zendesk.com/api-reference/ticketing/ticket-management/search/), as its
# oas.yaml has it: query required, sort_by/sort_order, offset pagination, SearchResponse.
OPERATIONS: dict[str, Any] = {
    "/api/v2/search": {
        "get": {
            "operationId": "ListSearchResults",
            "parameters": [
                {"name": "query", "in": "query", "required": True, "schema": _STR},
                {
                    "name": "sort_by",
                    "in": "query",
                    "schema": {
                        "type": "string",
                        "enum": ["updated_at", "created_at", "priority", "status", "ticket_type"],
                    },
                },
                {"name": "sort_order", "in": "query", "schema": {"enum": ["asc", "desc"]}},
            ],
            "responses": {
                "200": {
                    "description": "Success response",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "count": _INT,
                                    "facets": _OPT_STR,
                                    "next_page": _OPT_STR,
                                    "previous_page": _OPT_STR,
                                    "results": {
                                        "type": "array",
                                        "items": {
                                            "allOf": [
                                                {"$ref": "#/components/schemas/SearchResultObject"},
                                                {"$ref": "#/components/schemas/TicketObject"},
                                            ]
                                        },
                                    },
                                },
                            }
                        }
                    },
                }
            },
        }
    }
}

OPTIONS: dict[str, Any] = {
    "components": COMPONENTS,
    "extra_query": EXTRA_QUERY,
    "operations": OPERATIONS,
}


def zendesk_spec() -> OpenApiSpec:
    return OpenApiSpec.load(*SPEC_FILES, **OPTIONS)


# The one line a test module needs: ``openapi_spec = zendesk_openapi_spec``.
zendesk_openapi_spec = use_openapi_spec(*SPEC_FILES, **OPTIONS)

"""The only code that talks SQL. Every function takes an open `Session` (see db.session_scope)
and leaves committing to the caller, so several calls make one transaction.

Departments: department_ids, find_department, add_department_alias, list_departments
Plans:      find_version_by_text, create_plan, current_version, list_versions,
            list_plans, get_plan, stored_tasks, insert_task, insert_tasks, update_task,
            set_assignments
Tasks:      list_tasks(as_of=, department=, status=, overdue=) -> [TaskRow], find_task(key),
            get_task, task_row, open_tasks_for_department, department_stats, source_sentence,
            status_events, load_calendar (the stored working-day calendar), refresh_tracked
            (the counting unit after a load or revision)
Clock:      repo.store_clock: record_store_clock, store_clock (the demo's clock, store/clock.py)
Status:     record_status(task_pk, action, contact_id=, …) with permission rules, parse_action,
            withdraw_task
Contacts:   find_contacts(platform, user_id), get_contact, list_contacts, contacts_for_task,
            coordinators, upsert_contacts, set_password_hash, password_hash
Outbox:     enqueue_outbox, claim_outbox, mark_sent, mark_failed, requeue_stale, list_outbox,
            list_dead, resend
Reminders:  record_reminder, reminders_for_task, last_reminder_on
Login:      create_login_token, consume_login_token
Audit:      audit, list_audit
Dashboard:  department_overview, get_version, last_events
Review:     repo.corrections: add_draft_version, insert_draft_tasks, draft_tasks, draft_task,
            make_current, plan_draft, open_drafts, add_correction, list_corrections,
            offered_corrections (drafts under review and the admins' corrections)
"""

from bot.store.repo.audit import audit, list_audit
from bot.store.repo.common import utcnow
from bot.store.repo.contacts import (
    ContactSpec,
    ContactView,
    contacts_for_task,
    coordinators,
    existing_contact_keys,
    find_contacts,
    find_contacts_by_name,
    get_contact,
    list_contacts,
    password_hash,
    person_contacts,
    set_contacts_enabled,
    set_password_hash,
    upsert_contacts,
)
from bot.store.repo.dashboard import (
    DepartmentOverview,
    department_overview,
    get_version,
    last_events,
)
from bot.store.repo.departments import (
    add_department_alias,
    department_ids,
    find_department,
    list_departments,
)
from bot.store.repo.login_tokens import consume_login_token, create_login_token
from bot.store.repo.outbox import (
    backoff,
    claim_outbox,
    enqueue_for_contacts,
    enqueue_outbox,
    list_dead,
    list_outbox,
    mark_failed,
    mark_sent,
    requeue_stale,
    resend,
)
from bot.store.repo.plans import (
    create_plan,
    current_version,
    find_version_by_text,
    get_plan,
    insert_task,
    insert_tasks,
    list_plans,
    list_versions,
    set_assignments,
    stored_tasks,
    update_task,
)
from bot.store.repo.reminder_log import last_reminder_on, record_reminder, reminders_for_task
from bot.store.repo.status import (
    ACTION_WORDS,
    Action,
    parse_action,
    record_status,
    withdraw_task,
)
from bot.store.repo.tasks import (
    DepartmentStats,
    TaskRow,
    department_stats,
    find_task,
    get_task,
    list_tasks,
    load_calendar,
    open_tasks_for_department,
    refresh_tracked,
    source_sentence,
    status_events,
    task_row,
)

__all__ = [
    "ACTION_WORDS",
    "Action",
    "ContactSpec",
    "ContactView",
    "DepartmentOverview",
    "DepartmentStats",
    "TaskRow",
    "add_department_alias",
    "audit",
    "backoff",
    "claim_outbox",
    "consume_login_token",
    "contacts_for_task",
    "coordinators",
    "create_login_token",
    "create_plan",
    "current_version",
    "department_ids",
    "department_overview",
    "department_stats",
    "enqueue_for_contacts",
    "enqueue_outbox",
    "existing_contact_keys",
    "find_contacts",
    "find_contacts_by_name",
    "find_department",
    "find_task",
    "find_version_by_text",
    "get_contact",
    "get_plan",
    "get_task",
    "get_version",
    "insert_task",
    "insert_tasks",
    "last_events",
    "last_reminder_on",
    "list_audit",
    "list_contacts",
    "list_dead",
    "list_departments",
    "list_outbox",
    "list_plans",
    "list_tasks",
    "list_versions",
    "load_calendar",
    "mark_failed",
    "mark_sent",
    "open_tasks_for_department",
    "parse_action",
    "password_hash",
    "person_contacts",
    "record_reminder",
    "record_status",
    "refresh_tracked",
    "reminders_for_task",
    "requeue_stale",
    "resend",
    "set_assignments",
    "set_contacts_enabled",
    "set_password_hash",
    "source_sentence",
    "status_events",
    "stored_tasks",
    "task_row",
    "update_task",
    "upsert_contacts",
    "utcnow",
    "withdraw_task",
]

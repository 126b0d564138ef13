"""Storage: the asynchronous store contract and its backends (DESIGN.md §7, §8).

Import the contract from here: ``Store``/``Transaction``/``Home``/``Collection``
Protocols, the models, the typed errors, and ``open_store``.
"""

from .core.transfer import Progress as CopyProgress
from .core.transfer import copy_store
from .directory_interface import Directory
from .errors import (
    AlreadyExists,
    ContextChanged,
    ETagMismatch,
    Forbidden,
    InvalidSyncToken,
    Locked,
    LockLimitExceeded,
    NotFound,
    PushLimitExceeded,
    QuotaExceeded,
    ReadOnlyTransaction,
    StoreError,
    StoreNotRunning,
    StoreUnavailable,
    TargetNotEmpty,
    TransactionClosed,
    UIDConflict,
    UnsupportedStorageURL,
    WriteConflict,
)
from .factory import open_store
from .interfaces import (
    Collection,
    Content,
    Home,
    MailQueue,
    PushRegistry,
    Store,
    TimeRange,
    Transaction,
)
from .mail_models import MAIL_STATES, QueuedMail, RetryPolicy
from .models import (
    ALL_USERS_GROUP,
    FIRST_FOLDER_ID,
    GAL_FOLDER_ID,
    GAL_FOLDER_NAME,
    MAX_CHOSEN_FOLDER_ID,
    MAX_ID,
    MODULES,
    UNSET,
    Candidate,
    Changes,
    Context,
    Folder,
    FolderPermission,
    Group,
    InstanceSpans,
    Level,
    Lock,
    LoginFailures,
    Module,
    ObjectIndex,
    ObjectMeta,
    PushSubscription,
    SearchTerm,
    StoredObject,
    Unset,
    User,
)

__all__ = [
    "ALL_USERS_GROUP", "FIRST_FOLDER_ID", "GAL_FOLDER_ID", "GAL_FOLDER_NAME", "MAIL_STATES",
    "MAX_CHOSEN_FOLDER_ID", "MAX_ID", "MODULES",
    "UNSET", "AlreadyExists", "Candidate", "Changes", "Collection", "Content", "Context",
    "ContextChanged",
    "Directory",
    "ETagMismatch", "Folder",
    "FolderPermission", "Forbidden", "Group", "Home", "InstanceSpans", "InvalidSyncToken",
    "Level", "Lock",
    "LoginFailures",
    "LockLimitExceeded", "Locked", "MailQueue", "Module",
    "NotFound", "ObjectIndex", "ObjectMeta", "PushLimitExceeded", "PushRegistry",
    "PushSubscription", "QuotaExceeded", "QueuedMail", "ReadOnlyTransaction", "RetryPolicy",
    "CopyProgress", "SearchTerm", "Store", "StoreError", "StoreNotRunning", "StoreUnavailable",
    "WriteConflict",
    "StoredObject", "TargetNotEmpty", "TimeRange",
    "Transaction",
    "TransactionClosed", "UIDConflict", "Unset", "UnsupportedStorageURL", "User", "copy_store",
    "open_store",
]

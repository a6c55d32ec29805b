"""peewee models of the whole domain and the deferred database they use."""

from models.accounts import (
    LoginThrottle,
    PasswordResetRequest,
    RoleAssignment,
    User,
    UserToken,
)
from models.api import ApiToken, RequestCount
from models.base import BaseModel, utcnow
from models.cycles import (
    Answer,
    Assessment,
    AssessmentChange,
    Cycle,
    EscalationSignal,
    ImprovementAction,
    PartnerRating,
    Reminder,
)
from models.db import db, init_database, is_postgres, make_database, writer_turn
from models.framework import (
    Agreement,
    AgreementKind,
    AgreementPractice,
    FrameworkVersion,
    Practice,
    SourceDocument,
    Theme,
)
from models.geo import Gemeente, Organisation, OrganisationGemeente, ReferenceYear, Region
from models.indicators import (
    CycleNorms,
    FingerprintPart,
    IndicatorDefinition,
    IndicatorStamp,
    RecomputeRequest,
    RegionalNorm,
    RemovalCount,
    ScopeResult,
)
from models.ops import (
    AuditEvent,
    OutboxMessage,
    ReportFile,
    ReportRun,
    ReportRunEarlier,
    ServiceHeartbeat,
)
from models.partners import NotWorkingTogether
from models.sharing import PracticeSharing

ALL_MODELS = [
    Region,
    Gemeente,
    Organisation,
    OrganisationGemeente,
    User,
    RoleAssignment,
    LoginThrottle,
    UserToken,
    PasswordResetRequest,
    FrameworkVersion,
    Theme,
    SourceDocument,
    Agreement,
    AgreementKind,
    Cycle,
    Assessment,
    Answer,
    PartnerRating,
    NotWorkingTogether,
    ImprovementAction,
    EscalationSignal,
    AssessmentChange,
    IndicatorDefinition,
    RegionalNorm,
    ScopeResult,
    IndicatorStamp,
    FingerprintPart,
    RemovalCount,
    ReportRun,
    ReportRunEarlier,
    ReportFile,
    OutboxMessage,
    AuditEvent,
    ReferenceYear,
    ApiToken,
    RequestCount,
    ServiceHeartbeat,
    CycleNorms,
    RecomputeRequest,
    Practice,
    AgreementPractice,
    Reminder,
    PracticeSharing,
]

__all__ = [m.__name__ for m in ALL_MODELS] + [
    "ALL_MODELS",
    "BaseModel",
    "db",
    "init_database",
    "is_postgres",
    "make_database",
    "utcnow",
    "writer_turn",
]

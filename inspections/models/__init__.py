from inspections.models.checklists import (
    ChecklistEvidence, ChecklistItem, ChecklistResult, ChecklistTemplate, ChecklistTemplateItem, ItemSource,
)
from inspections.models.inspections import (
    Assessment, Inspection, InspectionPlan, InspectionPlanStatus, InspectionStatus, Team, TeamAccess, TeamMember, TeamRole,
)
from inspections.models.recommendations import Recommendation, RecommendationAnswer, RecommendationStatus

__all__ = [
    "Assessment", "ChecklistEvidence", "ChecklistItem", "ChecklistResult", "ChecklistTemplate", "ChecklistTemplateItem", "Inspection",
    "InspectionPlan", "InspectionPlanStatus", "InspectionStatus", "ItemSource", "Recommendation", "RecommendationAnswer",
    "RecommendationStatus", "Team", "TeamAccess", "TeamMember", "TeamRole",
]

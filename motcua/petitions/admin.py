from django.contrib import admin

from .models import Petition, PetitionEvent


class EventInline(admin.TabularInline):
    model = PetitionEvent
    extra = 0
    can_delete = False
    readonly_fields = ["seq", "action", "actor_name", "unit", "at", "from_state", "to_state", "note", "data"]
    exclude = ["actor"]

    def has_add_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(Petition)
class PetitionAdmin(admin.ModelAdmin):
    """Read-only: every change goes through the back office (services), which keeps history and deadlines."""

    list_display = ["code", "title", "state", "category", "unit", "sent_at", "answer_due_at"]
    list_filter = ["state", "category", "kind"]
    search_fields = ["code", "title", "petitioner_name"]
    inlines = [EventInline]

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.utils.translation import gettext_lazy as _

from accounts.forms import AdminLoginForm
from accounts.models import BrokerProfile, Invitation, Membership, Organisation, User

# /admin/ signs in through the same throttle as the portal, with the same message.
admin.site.login_form = AdminLoginForm


class UserChangeAdminForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        # The fields of UserAdmin.fieldsets, listed so that a new model field is never editable by default.
        fields = ("email", "password", "full_name", "phone", "preferred_language", "is_active", "is_staff",
                  "is_superuser", "groups", "user_permissions", "last_login", "date_joined")


class UserCreationAdminForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("email", "full_name")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["organisation"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    list_display = ["email", "full_name", "is_staff", "is_active", "date_joined"]
    list_filter = ["is_staff", "is_superuser", "is_active", "preferred_language"]
    search_fields = ["email", "full_name", "phone"]
    ordering = ["email"]
    inlines = [MembershipInline]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("full_name", "phone", "preferred_language")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")}),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "usable_password", "password1", "password2")}),
    )


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name_zh", "name_en", "kind", "region", "status", "created_at"]
    list_filter = ["kind", "status", "region"]
    search_fields = ["name_zh", "name_en", "credit_code"]
    readonly_fields = ["decided_by", "decided_at", "created_at", "updated_at"]
    date_hierarchy = "created_at"


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organisation", "role", "is_admin", "created_at"]
    list_filter = ["role", "is_admin", "organisation__kind"]
    search_fields = ["user__email", "user__full_name", "organisation__name_zh", "organisation__name_en"]
    autocomplete_fields = ["user", "organisation"]
    list_select_related = ["user", "organisation"]


@admin.register(BrokerProfile)
class BrokerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "capacity", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["user__email", "user__full_name"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "role", "is_admin", "expires_at", "accepted_at"]
    list_filter = ["role", "is_admin"]
    search_fields = ["email", "organisation__name_zh", "organisation__name_en"]
    readonly_fields = ["token", "accepted_at", "accepted_by", "created_at", "updated_at"]
    autocomplete_fields = ["organisation", "invited_by"]
    list_select_related = ["organisation"]

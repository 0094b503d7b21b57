from django.contrib import admin

from accounts.models import AllowedDomain, LifecycleEvent, Person

admin.site.register(Person)
admin.site.register(LifecycleEvent)
admin.site.register(AllowedDomain)

from django.urls import path

from voronka.activities.views import activities, my_day, notifications, tasks, timeline

app_name = "activities"

urlpatterns = [
    path("my-day/", my_day.my_day, name="my-day"),
    path("tasks/", tasks.task_list, name="task-list"),
    path("tasks/export/<str:fmt>/", tasks.task_export, name="task-export"),
    path("tasks/new/", tasks.task_create, name="task-create"),
    path("tasks/team/", my_day.task_team, name="task-team"),
    path("tasks/<int:pk>/", tasks.task_detail, name="task-detail"),
    path("tasks/<int:pk>/edit/", tasks.task_edit, name="task-edit"),
    path("tasks/<int:pk>/complete/", tasks.task_complete, name="task-complete"),
    path("tasks/<int:pk>/status/", tasks.task_status, name="task-status"),
    path("notifications/", notifications.notification_list, name="notification-list"),
    path(
        "notifications/read-all/",
        notifications.notification_read_all,
        name="notification-read-all",
    ),
    path(
        "notifications/settings/",
        notifications.notification_settings,
        name="notification-settings",
    ),
    path("notifications/<int:pk>/read/", notifications.notification_read, name="notification-read"),
    # timeline
    path("timeline/", timeline.timeline, name="timeline"),
    path("log/", timeline.activity_create, name="activity-create"),
    path("interactions/", activities.activity_list, name="activity-list"),
    path("interactions/export/<str:fmt>/", activities.activity_export, name="activity-export"),
]

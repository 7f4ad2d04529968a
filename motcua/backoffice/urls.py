from django.urls import path

from . import dead_letter_views, digitization_views, petition_views, report_views, views

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    # Dossiers: inboxes, search, the workspace and its slips; desk submission.
    path("inbox/<str:name>/", views.inbox, name="inbox"),
    path("search/", views.search, name="search"),
    path("dossiers/<str:code>/", views.dossier, name="dossier"),
    path("dossiers/<str:code>/slips/<str:kind>/", views.slip, name="slip"),
    path("dossiers/<str:code>/digitize/", views.digitize, name="digitize"),
    path("desk/", views.desk, name="desk"),
    path("desk/<str:code>/", views.desk_submit, name="desk_submit"),
    # Petitions (phản ánh, kiến nghị): inboxes and the workspace.
    path("petitions/inbox/<str:name>/", petition_views.inbox, name="petition_inbox"),
    path("petitions/<str:code>/", petition_views.petition, name="petition"),
    # Reports for leaders and index viewers: bottlenecks, dossiers at risk of being late.
    path("reports/bottlenecks/", report_views.bottlenecks, name="bottlenecks"),
    path("reports/at-risk/", report_views.at_risk, name="at_risk"),
    # Digitization: bulk batches of historical records, and the inspection report.
    path("digitization/", digitization_views.digitization, name="digitization"),
    path("digitization/<int:pk>/", digitization_views.digitization_batch, name="digitization_batch"),
    path("reports/digitization/", digitization_views.digitization_report, name="digitization_report"),
    # Integrations (system administrators): outbox deliveries that gave up, and their replay.
    path("dead-letters/", dead_letter_views.dead_letters, name="dead_letters"),
    path("dead-letters/replay/", dead_letter_views.replay_all, name="dead_letters_replay_all"),
    path("dead-letters/<int:delivery_id>/replay/", dead_letter_views.replay, name="dead_letter_replay"),
]

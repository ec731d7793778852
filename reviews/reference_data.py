"""Reference rows the reviews app ships with: the indicator catalogue and the reminder schedule.

Seeded by a data migration and by ``seed()`` (transactional tests truncate tables). Admins add and
edit rows; seeding never overwrites what they changed, it only adds what is missing.
"""
# code, group, form, name, name_en, measure unit
INDICATORS = [
    ("gs-van-ban", "supervision", "Nghiên cứu, xem xét văn bản", "Số cuộc giám sát thông qua nghiên cứu, xem xét văn bản",
     "Supervisions by reviewing documents", "cuộc"),
    ("gs-doan", "supervision", "Tổ chức đoàn giám sát", "Số cuộc giám sát thông qua tổ chức đoàn giám sát",
     "Supervisions by a supervision team", "cuộc"),
    ("gs-ttnd-gsdtcd", "supervision", "Ban Thanh tra nhân dân, Ban Giám sát đầu tư của cộng đồng",
     "Số cuộc giám sát thông qua hoạt động của Ban Thanh tra nhân dân, Ban Giám sát đầu tư của cộng đồng",
     "Supervisions through People's Inspection Boards and Community Investment Supervision Boards", "cuộc"),
    ("gs-tham-gia", "supervision", "Tham gia giám sát với cơ quan có thẩm quyền",
     "Số cuộc tham gia giám sát với cơ quan, tổ chức có thẩm quyền", "Supervisions joined with competent bodies", "cuộc"),
    ("pb-hoi-nghi", "criticism", "Tổ chức hội nghị phản biện", "Số cuộc phản biện xã hội tổ chức hội nghị phản biện",
     "Social criticism by conference", "cuộc"),
    ("pb-van-ban", "criticism", "Gửi dự thảo văn bản lấy ý kiến", "Số cuộc phản biện xã hội bằng hình thức gửi dự thảo văn bản lấy ý kiến",
     "Social criticism by written consultation", "cuộc"),
    ("pb-doi-thoai", "criticism", "Đối thoại trực tiếp", "Số cuộc phản biện xã hội bằng hình thức đối thoại trực tiếp",
     "Social criticism by direct dialogue", "cuộc"),
    ("kn-de-xuat", "recommendation", "", "Số kiến nghị sau giám sát, phản biện xã hội", "Recommendations made", "kiến nghị"),
    ("kn-tra-loi", "recommendation", "", "Số kiến nghị đã được trả lời", "Recommendations answered", "kiến nghị"),
    ("kn-giai-quyet", "recommendation", "", "Số kiến nghị đã được tiếp thu, giải quyết", "Recommendations resolved", "kiến nghị"),
    ("th-lop", "training", "", "Số lớp tập huấn, bồi dưỡng nghiệp vụ giám sát, phản biện xã hội", "Trainings held", "lớp"),
    ("th-nguoi", "training", "", "Số người được tập huấn, bồi dưỡng", "People trained", "người"),
    ("kt-mo-hinh", "commendation", "", "Số mô hình, điển hình được biểu dương, khen thưởng", "Good models commended", "mô hình"),
]

# kind, offset in days from the deadline
REMINDER_RULES = [
    ("report_due", -7), ("report_due", -1), ("report_late", 1), ("report_late", 7),
    ("comment_due", -2), ("comment_late", 1),
    ("task_due", -7), ("task_overdue", 1),
    ("recommendation_due", -7), ("recommendation_overdue", 1), ("recommendation_overdue", 7),
]


def seed(apps=None):
    if apps is None:
        from django.apps import apps as registry
        apps = registry
    Indicator = apps.get_model("reviews", "Indicator")
    ReminderRule = apps.get_model("reviews", "ReminderRule")
    for order, (code, group, form, name, name_en, measure_unit) in enumerate(INDICATORS, start=1):
        Indicator.objects.get_or_create(
            code=code,
            defaults={"group": group, "form": form, "name": name, "name_en": name_en, "measure_unit": measure_unit, "order": order * 10},
        )
    for kind, offset in REMINDER_RULES:
        ReminderRule.objects.get_or_create(kind=kind, offset_days=offset)

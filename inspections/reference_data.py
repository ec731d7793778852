"""The Directive 18 checklist template the inspections app ships with (seeded by a migration and by
``seed()``; admins edit it and add templates, seeding only adds what is missing)."""

DIRECTIVE_18 = ("chi-thi-18", "Kiểm tra thực hiện Chỉ thị số 18-CT/TW về giám sát, phản biện xã hội")

# group, text, guidance
DIRECTIVE_18_ITEMS = [
    ("Lãnh đạo, chỉ đạo", "Ban Thường trực đã ban hành kế hoạch thực hiện Chỉ thị 18-CT/TW và kế hoạch của cấp trên",
     "Kế hoạch, văn bản chỉ đạo; thời điểm ban hành"),
    ("Lãnh đạo, chỉ đạo", "Đã tổ chức quán triệt, tuyên truyền Chỉ thị đến cán bộ, đoàn viên, hội viên và Nhân dân",
     "Hội nghị quán triệt, tin bài tuyên truyền"),
    ("Hiệp thương, xây dựng chương trình", "Đã hiệp thương, thống nhất với các tổ chức chính trị - xã hội xây dựng chương trình giám sát, phản biện xã hội hằng năm",
     "Biên bản hội nghị hiệp thương, chương trình đã ban hành"),
    ("Tổ chức giám sát", "Đã tổ chức giám sát chuyên đề theo chương trình; có kết luận, kiến nghị sau giám sát",
     "Quyết định thành lập đoàn, báo cáo kết quả giám sát, văn bản kiến nghị"),
    ("Tổ chức phản biện", "Đã tổ chức phản biện xã hội đối với dự thảo văn bản, đề án của cơ quan cùng cấp",
     "Văn bản phản biện, biên bản hội nghị phản biện"),
    ("Theo dõi kiến nghị", "Đã theo dõi, đôn đốc việc tiếp thu, giải quyết và trả lời kiến nghị sau giám sát, phản biện",
     "Sổ theo dõi, văn bản trả lời của cơ quan có thẩm quyền"),
    ("Báo cáo", "Đã báo cáo kết quả giám sát, phản biện xã hội với HĐND cùng cấp theo quy định",
     "Báo cáo gửi kỳ họp HĐND"),
    ("Công khai", "Đã công khai kết quả giám sát, phản biện xã hội và việc tiếp thu, giải quyết kiến nghị",
     "Thông tin trên phương tiện truyền thông, bảng tin"),
    ("Điều kiện bảo đảm", "Có kinh phí, cán bộ theo dõi; cán bộ được tập huấn nghiệp vụ giám sát, phản biện xã hội",
     "Dự toán kinh phí, danh sách tập huấn"),
    ("Sơ kết, tổng kết", "Đã sơ kết, tổng kết việc thực hiện Chỉ thị theo hướng dẫn",
     "Báo cáo sơ kết, tổng kết"),
]


def seed(apps=None):
    if apps is None:
        from django.apps import apps as registry
        apps = registry
    Template = apps.get_model("inspections", "ChecklistTemplate")
    Item = apps.get_model("inspections", "ChecklistTemplateItem")
    code, name = DIRECTIVE_18
    template, created = Template.objects.get_or_create(code=code, defaults={"name": name})
    if created:
        Item.objects.bulk_create([
            Item(template=template, order=order * 10, group=group, text=text, guidance=guidance)
            for order, (group, text, guidance) in enumerate(DIRECTIVE_18_ITEMS, start=1)
        ])

"""Data migration: the two-level bilingual field taxonomy (8 clusters, 44 fields).
Codes are stable identifiers used by imports, the API and the demo data; names may change."""

from django.db import migrations

TAXONOMY = [
    ("biomedicine", "生物医药", "Biomedicine", [
        ("innovative-drugs", "创新药物", "Innovative drugs"),
        ("medical-devices", "医疗器械", "Medical devices"),
        ("biotechnology", "生物技术", "Biotechnology"),
        ("tcm", "中医药", "Traditional Chinese medicine"),
        ("diagnostics", "精准医疗与诊断", "Precision medicine & diagnostics"),
    ]),
    ("information", "新一代信息技术", "Next-generation information technology", [
        ("ai", "人工智能", "Artificial intelligence"),
        ("integrated-circuits", "集成电路", "Integrated circuits"),
        ("software", "软件与信息服务", "Software & information services"),
        ("big-data-cloud", "大数据与云计算", "Big data & cloud computing"),
        ("iot", "物联网", "Internet of Things"),
        ("communications", "新一代通信", "Next-generation communications"),
    ]),
    ("energy-environment", "新能源与节能环保", "New energy & environment", [
        ("photovoltaics", "光伏与风电", "Photovoltaics & wind power"),
        ("hydrogen", "氢能与燃料电池", "Hydrogen & fuel cells"),
        ("energy-storage", "储能与动力电池", "Energy storage & batteries"),
        ("energy-saving", "节能技术", "Energy saving"),
        ("environmental-protection", "环境保护与治理", "Environmental protection"),
        ("recycling", "资源循环利用", "Resource recycling"),
    ]),
    ("advanced-manufacturing", "高端装备与先进制造", "Advanced manufacturing", [
        ("robotics", "工业机器人", "Industrial robotics"),
        ("machine-tools", "数控机床", "CNC machine tools"),
        ("aerospace", "航空航天", "Aerospace"),
        ("rail-transit", "轨道交通装备", "Rail transit equipment"),
        ("smart-manufacturing", "智能制造", "Smart manufacturing"),
        ("new-energy-vehicles", "新能源汽车", "New energy vehicles"),
    ]),
    ("new-materials", "新材料", "New materials", [
        ("metal-materials", "先进金属材料", "Advanced metal materials"),
        ("polymers", "高分子材料", "Polymer materials"),
        ("ceramics", "无机非金属材料", "Ceramics & inorganic materials"),
        ("composites", "复合材料", "Composite materials"),
        ("nanomaterials", "纳米材料", "Nanomaterials"),
        ("fine-chemicals", "精细化工", "Fine chemicals"),
    ]),
    ("agriculture", "现代农业", "Modern agriculture", [
        ("seed-breeding", "种业与育种", "Seeds & breeding"),
        ("agri-machinery", "农业机械", "Agricultural machinery"),
        ("food-processing", "食品加工", "Food processing"),
        ("smart-agriculture", "智慧农业", "Smart agriculture"),
        ("animal-husbandry", "畜牧兽医", "Animal husbandry & veterinary"),
    ]),
    ("marine", "海洋经济", "Marine economy", [
        ("marine-engineering", "海洋工程装备", "Marine engineering equipment"),
        ("marine-biology", "海洋生物", "Marine biology"),
        ("shipbuilding", "船舶制造", "Shipbuilding"),
    ]),
    ("other-industries", "其他产业", "Other industries", [
        ("construction", "建筑与土木工程", "Construction & civil engineering"),
        ("mining-metallurgy", "矿业与冶金", "Mining & metallurgy"),
        ("safety-emergency", "安全生产与应急", "Safety & emergency"),
        ("digital-culture", "文化科技", "Digital culture & creative"),
        ("modern-services", "现代服务业", "Modern services"),
    ]),
]


def load(apps, schema_editor):
    FieldCluster = apps.get_model("catalog", "FieldCluster")
    Field = apps.get_model("catalog", "Field")
    for c_order, (code, zh, en, fields) in enumerate(TAXONOMY):
        cluster, _ = FieldCluster.objects.update_or_create(
            code=code, defaults={"name_zh": zh, "name_en": en, "order": c_order}
        )
        for f_order, (f_code, f_zh, f_en) in enumerate(fields):
            Field.objects.update_or_create(
                code=f_code, defaults={"cluster": cluster, "name_zh": f_zh, "name_en": f_en, "order": f_order}
            )


def unload(apps, schema_editor):
    apps.get_model("catalog", "Field").objects.filter(
        code__in=[f[0] for c in TAXONOMY for f in c[3]]
    ).delete()
    apps.get_model("catalog", "FieldCluster").objects.filter(code__in=[c[0] for c in TAXONOMY]).delete()


class Migration(migrations.Migration):
    dependencies = [("catalog", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]

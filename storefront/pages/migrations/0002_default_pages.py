"""The four company pages with a default text in English and Chinese, and the Sales
group's right to edit them.

The text is a reasonable starting point, not legal advice: every page starts as
"needs the seller's review", which the admin shows until staff untick it.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

DEFAULT_PAGES = {
    "about": {
        "en": (
            "About us",
            "<p>We sell licences to market-research reports from independent publishers. "
            "Every listing shows its summary, key figures and table of contents in English "
            "and Chinese before you buy, and every report is delivered as a PDF stamped with "
            "your licence.</p>"
            "<h2>How buying works</h2>"
            "<ul><li>Choose a report and the licence that fits your team.</li>"
            "<li>Pay by card, or ask for an invoice and pay by bank transfer.</li>"
            "<li>Download your stamped copy from the link we e-mail you.</li></ul>"
            "<p>Questions about a report, a licence or an order? Our sales team answers "
            "through the contact form or by e-mail.</p>",
        ),
        "zh-hans": (
            "关于我们",
            "<p>我们销售独立出版商的市场研究报告许可。购买前，每份报告都以中英文展示摘要、"
            "关键数据和目录；每份报告均以印有您许可信息的 PDF 交付。</p>"
            "<h2>购买流程</h2>"
            "<ul><li>选择报告和适合您团队的许可类型。</li>"
            "<li>使用银行卡付款，或申请发票后通过银行转账付款。</li>"
            "<li>通过我们发送的邮件链接下载印有许可信息的副本。</li></ul>"
            "<p>对报告、许可或订单有疑问？请通过联系表单或电子邮件联系我们的销售团队。</p>",
        ),
    },
    "terms": {
        "en": (
            "Terms of sale",
            "<p>These terms apply to every order placed in this shop by a business buyer. "
            "The seller is the company named in the imprint.</p>"
            "<h2>1. What you buy</h2>"
            "<p>You buy a licence to use a report as described in the licence terms of the "
            "licence type you choose. The report remains the publisher's work; the licence "
            "does not transfer ownership or copyright.</p>"
            "<h2>2. Prices and payment</h2>"
            "<p>Prices are shown in the currency of the licence and exclude taxes unless "
            "stated otherwise. Card payments are taken when you order; invoice orders are "
            "delivered once the transfer has been received.</p>"
            "<h2>3. Delivery</h2>"
            "<p>Reports available for immediate download are delivered by e-mail with a "
            "download link as soon as payment is confirmed. Reports delivered on order are "
            "sent within the time shown before you pay.</p>"
            "<h2>4. Refunds and cancellation</h2>"
            "<p>Digital content is delivered at your request immediately after payment, so "
            "an order cannot be cancelled once the report has been downloaded. If a report "
            "cannot be delivered, is materially different from its description or is "
            "defective, tell us within 14 days of delivery and we will replace it or refund "
            "the price.</p>"
            "<h2>5. Liability</h2>"
            "<p>Reports are prepared with care from sources believed to be reliable, but "
            "forecasts and estimates are not guarantees. Our liability for any order is "
            "limited to the price paid for it, except where the law does not allow such a "
            "limit (for example for intent or gross negligence).</p>"
            "<h2>6. Governing law and disputes</h2>"
            "<p>These terms are governed by the law of the seller's registered seat, "
            "without regard to its conflict-of-laws rules; its courts have jurisdiction, "
            "unless mandatory law provides otherwise.</p>",
        ),
        "zh-hans": (
            "销售条款",
            "<p>本条款适用于企业买家在本店下的每一笔订单。卖方为版本说明页所列的公司。</p>"
            "<h2>1. 购买内容</h2>"
            "<p>您购买的是按所选许可类型的许可条款使用报告的许可。报告仍属出版商的作品；"
            "许可不转让所有权或版权。</p>"
            "<h2>2. 价格与付款</h2>"
            "<p>价格以许可的币种显示，除非另有说明，不含税费。银行卡付款在下单时收取；"
            "发票订单在收到转账后交付。</p>"
            "<h2>3. 交付</h2>"
            "<p>可立即下载的报告在付款确认后即通过电子邮件发送下载链接。按订单交付的报告"
            "在付款前显示的期限内发送。</p>"
            "<h2>4. 退款与取消</h2>"
            "<p>数字内容应您的要求在付款后立即交付，因此报告一经下载，订单不能取消。"
            "如报告无法交付、与描述有重大不符或存在缺陷，请在交付后 14 天内告知我们，"
            "我们将更换报告或退还价款。</p>"
            "<h2>5. 责任</h2>"
            "<p>报告依据被认为可靠的来源认真编写，但预测和估计并非保证。除法律不允许限制"
            "的情形（例如故意或重大过失）外，我们对任何订单的责任以该订单的已付价款为限。</p>"
            "<h2>6. 适用法律与争议</h2>"
            "<p>本条款受卖方注册所在地法律管辖（不适用其冲突法规则），由该地法院管辖，"
            "强制性法律另有规定的除外。</p>",
        ),
    },
    "privacy": {
        "en": (
            "Privacy notice",
            "<p>The seller named in the imprint is responsible for the personal data "
            "processed in this shop.</p>"
            "<h2>What we collect and why</h2>"
            "<ul><li><strong>Orders:</strong> your name, company, e-mail address, billing "
            "address, VAT or tax id and purchase order number, to issue your licence, "
            "stamp it on your copy, invoice you and keep the accounting records the law "
            "requires.</li>"
            "<li><strong>Inquiries:</strong> what you write in the contact form, to "
            "answer you.</li>"
            "<li><strong>Payments:</strong> card payments are handled by Stripe; we never "
            "see or store your card number.</li></ul>"
            "<h2>How long we keep it</h2>"
            "<p>Order and invoice data for as long as tax and accounting law requires; "
            "inquiries for as long as needed to answer them and follow up.</p>"
            "<h2>Your rights</h2>"
            "<p>You may ask for access to, correction or deletion of your data, or object "
            "to its use, by writing to the sales address in the footer. You may also "
            "complain to your data-protection authority.</p>"
            "<h2>Cookies</h2>"
            "<p>We use only the cookies the shop needs to work (your cart, your language "
            "and form security); no advertising or tracking cookies.</p>",
        ),
        "zh-hans": (
            "隐私声明",
            "<p>版本说明页所列的卖方对本店处理的个人数据负责。</p>"
            "<h2>我们收集哪些数据及原因</h2>"
            "<ul><li><strong>订单：</strong>您的姓名、公司、电子邮件地址、账单地址、"
            "增值税号或税号以及采购订单号，用于签发许可、在副本上加印、开具发票并保存"
            "法律要求的会计记录。</li>"
            "<li><strong>咨询：</strong>您在联系表单中填写的内容，用于回复您。</li>"
            "<li><strong>付款：</strong>银行卡付款由 Stripe 处理；我们从不查看或存储您的"
            "卡号。</li></ul>"
            "<h2>保存期限</h2>"
            "<p>订单和发票数据按税务和会计法律要求的期限保存；咨询数据在答复和跟进所需的"
            "期限内保存。</p>"
            "<h2>您的权利</h2>"
            "<p>您可以写信至页脚中的销售邮箱，要求查阅、更正或删除您的数据，或反对对其的"
            "使用。您也可以向数据保护监管机构投诉。</p>"
            "<h2>Cookie</h2>"
            "<p>我们只使用本店运行所必需的 Cookie（购物车、语言和表单安全），不使用广告或"
            "跟踪 Cookie。</p>",
        ),
    },
    "imprint": {
        "en": (
            "Imprint",
            "<p>The company above operates this shop and is the seller of every licence "
            "bought here. Reports are the work of their publishers, named on each listing."
            "</p>",
        ),
        "zh-hans": (
            "版本说明",
            "<p>上述公司经营本店，是在本店购买的每一份许可的卖方。报告为各自出版商的作品，"
            "出版商名称见各报告页面。</p>",
        ),
    },
}

SALES_PERMISSIONS = ["view_companypage", "change_companypage"]


def create_pages(apps, schema_editor):
    CompanyPage = apps.get_model("pages", "CompanyPage")
    Translation = apps.get_model("pages", "CompanyPageTranslation")
    for kind, texts in DEFAULT_PAGES.items():
        page, created = CompanyPage.objects.get_or_create(kind=kind, defaults={"needs_review": True})
        if not created:
            continue
        for language, (title, body) in texts.items():
            Translation.objects.create(master=page, language_code=language, title=title, body=body)


def give_sales_the_pages(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate).
    app_config = apps.get_app_config("pages")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _created = Group.objects.get_or_create(name="Sales")
    group.permissions.add(
        *Permission.objects.filter(content_type__app_label="pages", codename__in=SALES_PERMISSIONS)
    )


def remove_pages(apps, schema_editor):
    apps.get_model("pages", "CompanyPage").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("pages", "0001_initial"),
        ("inquiries", "0002_sales_group"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(create_pages, remove_pages),
        migrations.RunPython(give_sales_the_pages, migrations.RunPython.noop),
    ]

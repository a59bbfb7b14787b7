"""Chinese for the strings of Django's admin and of django-axes that their own zh_Hans
catalogues lack (axes ships none), so a cadre reads no English in the admin.

Each English msgid is named here with gettext_noop so that makemessages keeps it in the
portal's catalogue (locale/zh_Hans), which comes first in LOCALE_PATHS and so wins;
core.catalogue writes these msgstrs into it. Nothing imports this module at run time.
"""

from django.utils.translation import gettext_noop

OVERRIDES = {
    # Django's admin: the app list's column headings (read by screen readers).
    gettext_noop("Model name"): "模型名称",
    gettext_noop("Add link"): "添加链接",
    gettext_noop("Change or view list link"): "修改或查看列表链接",
    # templates/admin/search_form.html, ours for its image's alt text, in Django's words.
    gettext_noop("Search"): "搜索",
    # (a plural: its template's blocktranslate names it, gettext_noop could not)
    "%(counter)s result": "%(counter)s 条结果。",
    gettext_noop("%(full_result_count)s total"): "总共 %(full_result_count)s",
    gettext_noop("Show all"): "显示全部",
    # django-axes: its models, fields and admin (sign-in protection, seen by superusers).
    gettext_noop("access attempt"): "登录尝试",
    gettext_noop("access attempts"): "登录尝试",
    gettext_noop("access attempt expiration"): "登录尝试失效时间",
    gettext_noop("access attempt expirations"): "登录尝试失效时间",
    gettext_noop("access failure"): "登录失败",
    gettext_noop("access failures"): "登录失败",
    gettext_noop("access log"): "登录日志",
    gettext_noop("access logs"): "登录日志",
    gettext_noop("Access Attempt"): "登录尝试",
    gettext_noop("Access lock out"): "是否锁定",
    gettext_noop("Account locked: too many login attempts. Please try again later."): (
        "账号已锁定：登录失败次数过多，请稍后再试。"
    ),
    gettext_noop("Attempt Remaining"): "剩余尝试次数",
    gettext_noop("Attempt Time"): "尝试时间",
    gettext_noop("Clean up expired attempts"): "清理已失效的尝试",
    gettext_noop("Expires At"): "失效时间",
    gettext_noop("Failed Logins"): "失败次数",
    gettext_noop("Form Data"): "表单数据",
    gettext_noop("GET Data"): "查询参数",
    gettext_noop("HTTP Accept"): "浏览器接受的内容类型",
    gettext_noop("IP Address"): "网络地址",
    gettext_noop("Locked Out"): "已锁定",
    gettext_noop("Logout Time"): "退出时间",
    gettext_noop("Meta Data"): "请求信息",
    gettext_noop("Not set"): "未设置",
    gettext_noop("POST Data"): "提交的数据",
    gettext_noop("Path"): "路径",
    gettext_noop("Session key hash (sha256)"): "会话标识摘要",
    gettext_noop("The time when access attempt expires and is no longer valid."): (
        "登录尝试失效、不再计数的时间。"
    ),
    gettext_noop("User Agent"): "浏览器标识",
}

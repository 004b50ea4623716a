//! zh-CN first, English second. Texts live in one table; pages ask for them by key.

use std::collections::HashMap;
use std::sync::LazyLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn from_cookie(v: Option<&str>) -> Self {
        if v == Some("en") { Lang::En } else { Lang::Zh }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn is_en(self) -> bool {
        self == Lang::En
    }

    /// Picks the text for this language.
    pub fn pick<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        if self.is_en() { en } else { zh }
    }
}

static TEXTS: &[(&str, &str, &str)] = &[
    ("app.name", "基层治理平台", "jiceng"),
    ("nav.home", "首页", "Home"),
    ("nav.places", "地点", "Places"),
    ("nav.orgs", "党组织", "Party organisations"),
    ("nav.units", "单位", "Units"),
    ("nav.users", "账号", "Accounts"),
    ("nav.problems", "问题清单", "Problem list"),
    ("nav.services", "服务办件", "Service requests"),
    ("nav.audit", "审计日志", "Audit log"),
    ("nav.account", "我的账号", "My account"),
    ("nav.logout", "退出", "Log out"),
    ("nav.skip", "跳到正文", "Skip to content"),
    ("nav.lang", "English", "中文"),
    ("login.title", "登录", "Log in"),
    ("login.username", "用户名", "Username"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Log in"),
    (
        "login.bad",
        "用户名或密码不正确",
        "Wrong username or password",
    ),
    (
        "login.locked",
        "连续5次登录失败，账号已锁定15分钟，请稍后再试",
        "Five failed logins: the account is locked for 15 minutes",
    ),
    (
        "login.expired",
        "长时间未操作，会话已过期，请重新登录",
        "Your session expired after a while without activity; please log in again",
    ),
    (
        "login.disabled",
        "账号已停用，请联系安全管理员",
        "The account is disabled; ask the security administrator",
    ),
    ("totp.title", "二次验证", "Second factor"),
    (
        "totp.enrol",
        "管理员账号须启用动态口令。请在手机验证器（如 FreeOTP、Google Authenticator）中添加以下密钥，然后输入6位动态口令。",
        "Administrator accounts need a one-time code. Add this key to an authenticator app, then enter the 6-digit code.",
    ),
    ("totp.key", "密钥", "Key"),
    ("totp.code", "6位动态口令", "6-digit code"),
    (
        "totp.bad",
        "动态口令不正确或已过期",
        "The code is wrong or expired",
    ),
    ("common.search", "查询", "Search"),
    ("common.keyword", "关键词", "Keyword"),
    ("common.kind", "类型", "Kind"),
    ("common.all", "全部", "All"),
    ("common.name", "名称", "Name"),
    ("common.code", "代码", "Code"),
    ("common.place", "所在地点", "Place"),
    ("common.status", "状态", "Status"),
    ("common.open", "正常", "Open"),
    ("common.closed", "已撤销", "Closed"),
    ("common.include_closed", "含已撤销", "Include closed"),
    ("common.export", "导出Excel", "Export to Excel"),
    ("upload.sending", "正在上传", "Uploading"),
    (
        "upload.checking",
        "上传完成，正在逐行检查，请稍候……",
        "Uploaded; checking every row, please wait…",
    ),
    ("common.empty", "暂无记录", "Nothing here yet"),
    ("common.prev", "上一页", "Previous"),
    ("common.next", "下一页", "Next"),
    ("common.page", "页", "page"),
    ("common.total", "共", "Total"),
    ("common.save", "保存", "Save"),
    ("common.create", "新增", "Add"),
    ("common.rename", "改名", "Rename"),
    ("common.move", "迁移", "Move"),
    ("common.close", "撤销", "Close"),
    ("common.parent", "上级", "Parent"),
    ("common.created", "创建时间", "Created"),
    ("common.view", "查看", "View"),
    ("common.actions", "操作", "Actions"),
    ("common.home_link", "返回首页", "Back to home"),
    ("place.children", "下级", "Below"),
    (
        "place.new_code_hint",
        "12位区划代码；网格可留空自动编号",
        "12-digit division code; leave empty for a grid to number it",
    ),
    (
        "place.move_code_hint",
        "留空则沿用本级编号",
        "leave empty to keep its own number",
    ),
    (
        "place.parent_code",
        "新上级的代码",
        "Code of the new parent",
    ),
    (
        "place.close_hint",
        "撤销后记录保留，不再计入统计",
        "A closed place keeps its records and leaves the figures",
    ),
    ("place.counts", "统计", "Figures"),
    ("org.units", "覆盖单位", "Units covered"),
    (
        "org.unit_ids",
        "覆盖单位编号（逗号分隔）",
        "Unit numbers covered (comma-separated)",
    ),
    (
        "org.parent_id",
        "上级党组织编号（可空）",
        "Parent organisation number (optional)",
    ),
    ("org.new", "新增党组织", "Add an organisation"),
    ("unit.new", "新增单位", "Add a unit"),
    ("unit.credit_code", "统一社会信用代码", "Credit code"),
    ("unit.above_size", "规模以上企业", "Above designated size"),
    ("unit.staff", "从业人数", "Staff"),
    ("unit.edit", "修改单位", "Edit unit"),
    ("user.new", "新增账号", "Add an account"),
    ("user.display_name", "姓名", "Name"),
    ("user.role", "角色", "Role"),
    ("user.place_code", "绑定地点代码", "Bound place code"),
    ("user.lock", "停用", "Lock"),
    ("user.unlock", "启用/解锁", "Unlock"),
    ("user.reset", "重置密码", "Reset password"),
    ("user.locked", "已停用", "Locked"),
    ("user.locked_until", "锁定至", "Locked until"),
    (
        "user.password_hint",
        "至少8位，含大写、小写、数字、符号中的三类",
        "8+ characters, three of: upper, lower, digits, symbols",
    ),
    ("account.change_password", "修改密码", "Change password"),
    ("account.current_password", "当前密码", "Current password"),
    ("account.new_password", "新密码", "New password"),
    (
        "account.password_changed",
        "密码已修改，请重新登录",
        "Password changed; please log in again",
    ),
    ("account.tokens", "API令牌", "API tokens"),
    ("account.token_name", "令牌名称", "Token name"),
    (
        "account.token_created",
        "新令牌（只显示这一次，请妥善保存）",
        "New token (shown only once; keep it safe)",
    ),
    ("account.revoke", "吊销", "Revoke"),
    ("audit.actor", "操作人", "Actor"),
    ("audit.action", "动作", "Action"),
    ("audit.entity", "对象", "Entity"),
    ("audit.at", "时间", "Time"),
    ("audit.ip", "来源地址", "Address"),
    ("audit.from", "起始日期", "From"),
    ("audit.to", "截止日期", "To"),
    ("audit.before", "变更前", "Before"),
    ("audit.after", "变更后", "After"),
    ("audit.request", "请求编号", "Request id"),
    ("audit.intact", "审计链完整", "The audit chain is intact"),
    ("error.title", "出错了", "Something went wrong"),
    ("nav.members", "党员", "Members"),
    ("nav.flows", "流动党员", "Flowing members"),
    ("nav.coverage", "两新覆盖", "Two-new coverage"),
    ("common.founded_on", "成立日期", "Founded on"),
    ("member.new", "登记党员", "Register a member"),
    ("member.edit", "修改党员信息", "Edit member"),
    ("member.org_id", "所在党组织编号", "Organisation number"),
    ("member.id_number", "身份证号", "ID number"),
    ("member.id_keep", "留空则不修改", "leave empty to keep"),
    ("member.gender", "性别", "Gender"),
    ("member.male", "男", "Male"),
    ("member.female", "女", "Female"),
    ("member.birth", "出生年月", "Born"),
    ("member.ethnicity", "民族", "Ethnicity"),
    ("member.education", "学历", "Education"),
    ("member.occupation", "职业类别", "Occupation"),
    ("member.status", "党员状态", "Status"),
    ("member.join_date", "入党日期", "Joined"),
    ("member.full_date", "转正日期", "Full membership"),
    (
        "member.workplace",
        "工作单位/现居住地",
        "Workplace / residence",
    ),
    ("member.phone", "联系电话", "Phone"),
    ("member.address", "家庭住址", "Address"),
    (
        "member.search_hint",
        "姓名、拼音首字母、完整身份证号或电话",
        "name, pinyin initials, full ID number or phone",
    ),
    (
        "member.include_former",
        "含已出党、死亡",
        "Include former members",
    ),
    ("member.reveal", "查看完整", "Show in full"),
    (
        "member.revealed",
        "已显示完整信息（本次查看已记入审计日志）",
        "Shown in full (this view is recorded in the audit log)",
    ),
    ("member.roster", "党员名册", "Member register"),
    ("dues.title", "党费", "Dues"),
    (
        "dues.monthly",
        "本月应交党费（元）",
        "Dues this month (yuan)",
    ),
    ("dues.unpaid", "欠交月数", "Months unpaid"),
    ("dues.base", "月收入（交纳基数）", "Income base"),
    (
        "dues.set_base",
        "登记月收入（交纳基数）",
        "Record the income base",
    ),
    (
        "dues.income",
        "税后月收入（元）",
        "Monthly income after tax (yuan)",
    ),
    (
        "dues.from_month",
        "自哪个月起（如 2026-11）",
        "From month (e.g. 2026-11)",
    ),
    ("dues.pay", "登记交纳党费", "Record a payment"),
    (
        "dues.month",
        "所属月份（如 2026-11）",
        "Month (e.g. 2026-11)",
    ),
    ("dues.paid_on", "交纳日期", "Paid on"),
    ("dues.amount", "金额（元）", "Amount (yuan)"),
    ("dues.none", "未登记", "not recorded"),
];

static TABLE: LazyLock<HashMap<&'static str, (&'static str, &'static str)>> =
    LazyLock::new(|| TEXTS.iter().map(|(k, zh, en)| (*k, (*zh, *en))).collect());

/// The translator handed to templates.
#[derive(Debug, Clone, Copy, Default)]
pub struct T(pub Lang);

impl T {
    /// The text for `key`; an unknown key shows itself (and a test lists them all).
    pub fn t(&self, key: &str) -> &'static str {
        match TABLE.get(key) {
            Some((zh, en)) => self.0.pick(zh, en),
            None => "[missing text]",
        }
    }

    pub fn lang(&self) -> Lang {
        self.0
    }
}

pub fn has(key: &str) -> bool {
    TABLE.contains_key(key)
}

#[cfg(test)]
mod tests {
    /// Every `t("…")` / `t.t("…")` in the sources and templates names a text that exists.
    #[test]
    fn every_key_used_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut stack = vec![root.join("src"), root.join("templates")];
        let mut missing = Vec::new();
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                let text = std::fs::read_to_string(&path).unwrap();
                let parts: Vec<&str> = text.split("t(\"").collect();
                for (before, part) in parts.iter().zip(parts.iter().skip(1)) {
                    // `t(` itself, not the end of a longer name such as `split(`.
                    let call = before
                        .chars()
                        .last()
                        .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
                    let key = part.split('"').next().unwrap_or("");
                    if !call {
                        continue;
                    }
                    let looks_like_key = key.contains('.')
                        && key
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_');
                    if looks_like_key && !super::has(key) {
                        missing.push(format!("{}: {key}", path.display()));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "texts missing from i18n.rs: {missing:#?}"
        );
    }

    #[test]
    fn keys_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for (k, _, _) in super::TEXTS {
            assert!(seen.insert(k), "duplicate {k}");
        }
    }
}

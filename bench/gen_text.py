"""Seeded generator of official-document Chinese for search tests and benchmarks.

Sentences mix frequent campaign phrases with a Zipf-distributed tail of rarer terms, years,
dates and document numbers such as 渝工发〔2023〕35号.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

ORGS = ["重庆市总工会", "区总工会", "市委宣传部", "市文明办", "工会委员会", "党支部", "团委",
        "妇联", "人力资源部", "办公室", "宣传科", "财务处", "后勤保障中心", "第三车间", "质量管理部"]
PREFIXES = ["渝工发", "渝工办", "渝文明办", "区工发", "渝府办发", "渝委发", "工会字", "党字"]
TOPICS = ["职工之家", "文明单位", "模范职工小家", "职工书屋", "工人先锋号", "劳动竞赛", "安全生产月",
          "技能比武", "困难职工帮扶", "女职工关爱室", "民主管理", "厂务公开", "集体协商", "劳模创新工作室",
          "职工代表大会", "志愿服务", "文明创建", "PDCA循环", "5S管理", "QC小组", "ISO9001质量体系"]
VERBS = ["深入推进", "扎实开展", "全面落实", "认真组织", "积极参与", "持续加强", "切实做好", "统筹推进",
         "着力提升", "广泛宣传", "严格执行", "不断完善", "稳步实施", "大力弘扬"]
OBJECTS = ["建设工作", "创建活动", "考核评价", "制度建设", "台账资料", "阵地建设", "组织保障",
           "经费管理", "档案整理", "宣传教育", "监督检查", "总结表彰", "示范引领", "服务能力",
           "会员评家", "民主评议", "职工福利", "培训计划", "应急预案", "信息报送"]
LINKS = ["，", "，并", "，同时", "；", "。", "，进一步", "，切实", "，确保"]
RARE_CHARS = ("鑫淼焱垚犇骉羴猋麤靐龘曦旻昊晗玥瑾琛璟珩钰锴铖镕炜烨煜熠炅燚堃坤埕"
              "垣墉壑岷嵘峤崧嵩沄洺渝涪綦潼璧铜梁荣昌巫溪酉秀彭黔江")


@dataclass(frozen=True)
class GenDoc:
    """One generated document: text plus the metadata the benchmark filters on."""

    id: int
    title: str
    file_name: str
    text: str
    year: int
    track: str
    criterion: str


class TextGenerator:
    """Seeded generator; the same seed gives the same corpus."""

    def __init__(self, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        rng = random.Random(seed + 1000)
        self.rare_terms = ["".join(rng.choice(RARE_CHARS) for _ in range(rng.randint(2, 4)))
                           + rng.choice(["项目", "工程", "基地", "社区", "小组", "站"]) for _ in range(3000)]
        self.rare_weights = [1.0 / (i + 1) for i in range(len(self.rare_terms))]

    def doc_number(self, year: int) -> str:
        """A document number like 渝工发〔2023〕35号."""
        return f"{self.rng.choice(PREFIXES)}〔{year}〕{self.rng.randint(1, 199)}号"

    def sentence(self, year: int) -> str:
        """One sentence of official-document prose."""
        r, c = self.rng, self.rng.choice
        kind = r.random()
        if kind < 0.15:
            return (f"根据{c(ORGS)}《关于{c(VERBS)}{c(TOPICS)}{c(OBJECTS)}的通知》"
                    f"（{self.doc_number(year)}）精神")
        if kind < 0.25:
            return f"{year}年{r.randint(1, 12)}月{r.randint(1, 28)}日，{c(ORGS)}召开{c(TOPICS)}推进会"
        if kind < 0.45:
            rare = r.choices(self.rare_terms, self.rare_weights)[0]
            return f"{c(ORGS)}在{rare}{c(VERBS)}{c(TOPICS)}{c(OBJECTS)}"
        if kind < 0.55:
            return f"共有{r.randint(2, 900)}名职工参加，投入经费{r.randint(1, 99)}.{r.randint(0, 9)}万元"
        return f"{c(VERBS)}{c(TOPICS)}{c(OBJECTS)}"

    def paragraph(self, year: int, sentences: int) -> str:
        """Sentences joined with Chinese punctuation, ending with 。."""
        parts = []
        for _ in range(sentences):
            parts.append(self.sentence(year))
            parts.append(self.rng.choice(LINKS))
        parts[-1] = "。"
        return "".join(parts)

    def document(self, doc_id: int, chars: int = 1600) -> GenDoc:
        """A document of roughly ``chars`` characters in paragraphs separated by newlines."""
        r = self.rng
        year = r.randint(2015, 2024)
        title = f"关于{r.choice(VERBS)}{r.choice(TOPICS)}{r.choice(OBJECTS)}的{r.choice(['通知', '报告', '总结', '方案', '请示'])}"
        paragraphs: list[str] = [f"{self.doc_number(year)}", title]
        size = sum(map(len, paragraphs))
        target = int(chars * r.uniform(0.4, 1.6))
        while size < target:
            p = self.paragraph(year, r.randint(3, 8))
            paragraphs.append(p)
            size += len(p)
        track = r.choice(["职工之家", "文明单位", "模范职工小家"])
        criterion = f"{r.randint(1, 5)}.{r.randint(1, 6)}"
        return GenDoc(doc_id, title, f"{year}-{doc_id:06d}-{title[:8]}.pdf", "\n".join(paragraphs),
                      year, track, criterion)


def generate(n: int, seed: int = 1, chars: int = 1600) -> list[GenDoc]:
    """``n`` documents from a seeded generator."""
    gen = TextGenerator(seed)
    return [gen.document(i + 1, chars) for i in range(n)]

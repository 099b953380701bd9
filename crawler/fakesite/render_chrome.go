package fakesite

import (
	"strings"
)

// pageHead is what differs between pages in the <head>.
type pageHead struct {
	title       string // full <title> text (clean)
	description string
	keywords    string
	og          bool // article OpenGraph block
	ogTitle     string
	ogURL       string
	ogImage     string
	uploadDate  string
	altURL      string // hreflang alternate on the other host
	links       string // extra raw <link …/> tags (rel=first/prev/next/last, canonical, feed)
	printCSS    bool   // print.css media="all" (the /print variant)
	bodyClass   string
}

// renderer renders pages of one language.
type renderer struct {
	l    *labels
	base string // absolute base of in-page URLs (the real host)
}

func (rd *renderer) abs(path string) string { return rd.base + path }

// altBase is the other language's host.
func (rd *renderer) altURL(path string) string { return rd.l.otherBase + path }

// page writes a full HTML page around content (inside div.content-view),
// subnav (div.subnav-view) and read (div.read, the reading pane).
func (rd *renderer) page(b *strings.Builder, h pageHead, subnav, content, read string) {
	l := rd.l
	lang := l.lang
	b.WriteString(`<!doctype html> <!--[if lt IE 7 ]> <html class="ie6" lang="` + lang + `"> <![endif]--> <!--[if IE 7 ]> <html class="ie7" lang="` + lang + `"> <![endif]--> <!--[if IE 8 ]> <html class="ie8" lang="` + lang + `"> <![endif]--> <!--[if IE 9 ]> <html class="ie9" lang="` + lang + `"> <![endif]--> <!--[if gt IE 8]><!--> <html lang="` + lang + `" class="no-js" itemscope="itemscope" xmlns="http://www.w3.org/1999/xhtml" itemtype="http://schema.org/ItemPage" prefix="og: http://ogp.me/ns# video: http://ogp.me/ns/video# ya: http://webmaster.yandex.ru/vocabularies/"> <!--<![endif]--> <head> <meta charset="utf-8"/> <title itemprop="name">`)
	b.WriteString(escText(h.title))
	b.WriteString(`</title> <meta name="description" content="` + escAttr(h.description) + `"/> <meta name="keywords" content="` + escAttr(h.keywords) + `"/> <meta itemprop="inLanguage" content="` + lang + `"/>  <meta name="viewport" content="width=device-width,initial-scale=1,minimum-scale=0.7,ya-title=#061a44"/>  <meta name="apple-mobile-web-app-capable" content="yes"/> <meta name="apple-mobile-web-app-title" content="` + l.siteName + `"/> <meta name="format-detection" content="telephone=yes"/> <meta name="apple-mobile-web-app-status-bar-style" content="default"/>  <meta name="msapplication-TileColor" content="#061a44"/> <meta name="msapplication-TileImage" content="/static/mstile-144x144.png"/> <meta name="msapplication-allowDomainApiCalls" content="true"/> <meta name="msapplication-starturl" content="/"/> <meta name="theme-color" content="#061a44"/> <meta name="application-name" content="` + l.siteName + `"/>   <meta property="og:site_name" content="` + l.siteName + `"/>  <meta name="twitter:site" content="@KremlinRussia_E"/>  `)
	if h.og {
		b.WriteString(` <meta property="og:type" content="article"/>  <meta property="og:title" content="` + escAttr(h.ogTitle) + `"/> <meta property="og:description" content="` + escAttr(h.description) + `"/> <meta property="og:url" content="` + escAttr(h.ogURL) + `"/> `)
		if h.ogImage != "" {
			b.WriteString(`<meta property="og:image" content="` + h.ogImage + `"/>    `)
		}
		b.WriteString(`<meta property="ya:ovs:adult" content="false"/>  <meta property="ya:ovs:upload_date" content="` + h.uploadDate + `"/>      <meta name="twitter:card" content="summary"/>   <meta name="twitter:description" content="` + escAttr(h.description) + `"/> <meta name="twitter:title" content="` + escAttr(h.ogTitle) + `"/>    `)
	}
	for _, sz := range []string{"32x32", "96x96", "16x16"} {
		b.WriteString(`<link rel="icon" type="image/png" href="` + rd.base + `/static/favicon-` + sz + `.png" sizes="` + sz + `"/>   `)
	}
	b.WriteString(`<link rel="manifest" href="` + rd.base + `/static/` + lang + `/manifest.json"/>         `)
	for _, sz := range []string{"57x57", "60x60", "72x72", "76x76", "114x114", "120x120", "144x144", "152x152", "180x180"} {
		b.WriteString(`<link rel="apple-touch-icon" href="` + rd.base + `/static/apple-touch-icon-` + sz + `.png" sizes="` + sz + `"/>   `)
	}
	printMedia := "print"
	if h.printCSS {
		printMedia = "all"
	}
	b.WriteString(`            <link rel="stylesheet" type="text/css" media="all" href="/static/css/screen.css?d9293862f7"/> <link rel="stylesheet" href="/static/css/print.css" media="` + printMedia + `"/>  <!--[if lt IE 9]> <link rel="stylesheet" href="/static/css/ie8.css"/> <script type="text/javascript" src="/static/js/vendor/html5shiv.js"></script> <script type="text/javascript" src="/static/js/vendor/respond.src.js"></script> <script type="text/javascript" src="/static/js/vendor/Konsole.js"></script> <![endif]--> <!--[if lte IE 9]> <link rel="stylesheet" href="/static/css/ie9.css"/> <script type="text/javascript" src="/static/js/vendor/ierange-m2.js"></script> <![endif]--> <!--[if lte IE 6]> <link rel="stylesheet" href="/static/css/ie6.css"/> <![endif]--> `)
	b.WriteString(`<link rel="alternate" type="text/html" hreflang="` + l.otherLang + `" href="` + escAttr(h.altURL) + `"/>   <link rel="author" href="` + rd.base + `/about"/> <link rel="home" href="` + rd.base + `/"/> <link rel="search" href="` + rd.base + `/opensearch.xml" title="` + l.siteName + `" type="application/opensearchdescription+xml"/> `)
	b.WriteString(h.links)
	b.WriteString(`<script type="text/javascript">` + "\n" + `window.config = {staticUrl: '/static/',mediaUrl: 'http://static.kremlin.ru/media/',internalDomains: 'kremlin.ru|uznai-prezidenta.ru|openkremlin.ru|президент.рф|xn--d1abbgf6aiiy.xn--p1ai'};` + "\n" + `</script></head> <body class="` + h.bodyClass + `"> `)
	b.WriteString(rd.header())
	b.WriteString(` <div class="main-wrapper"> <div class="subnav-view" role="complementary" aria-label="Additional menu">`)
	b.WriteString(subnav)
	b.WriteString(`</div> <div class="wrapsite"> <div class="content-view" role="main">`)
	b.WriteString(content)
	b.WriteString(`</div> `)
	b.WriteString(rd.footer(h.altURL))
	b.WriteString(` </div> </div> <div class="gallery__wrap"> <div class="gallery__overlay"></div> <div class="gallery" role="complementary" aria-label="Fullscreen gallery"></div> </div> `)
	if read == "" {
		read = `<div class="read" role="complementary" aria-label="Material for reading"></div>`
	}
	b.WriteString(read)
	b.WriteString(` <div class="wrapsite__outside hidden-print"><div class="wrapsite__overlay"></div></div>`)
	b.WriteString(rd.sidebar(h.altURL))
	b.WriteString(`<script type="text/javascript" src="/static/js/app.js?d260006831"></script></body> </html>`)
}

type navItem struct {
	href, name string
}

var mainNav = map[string][]navItem{
	LangEN: {{"/events/president/news", "Events"}, {"/structure/president", "Structure"}, {"/multimedia/video", "Videos and\u00a0Photos"}, {"/acts/news", "Documents"}, {"/contacts", "Contacts"}},
	LangRU: {{"/events/president/news", "События"}, {"/structure/president", "Структура"}, {"/multimedia/video", "Видео и\u00a0фото"}, {"/acts/news", "Документы"}, {"/contacts", "Контакты"}},
}

var searchLabel = map[string][3]string{
	LangEN: {"Search", "Global website search", "Search this website"},
	LangRU: {"Поиск", "Поиск по\u00a0сайту", "Искать на\u00a0сайте"},
}

func (rd *renderer) header() string {
	l := rd.l
	var b strings.Builder
	b.WriteString(`<div class="header" itemscope="itemscope" itemtype="http://schema.org/WPHeader" role="banner"> <div class="topline topline__menu"> <a class="topline__toggleaside" accesskey="=" aria-label="Portal Menu" role="button" href="#sidebar" title="Portal Menu"><i></i></a> <div class="topline__in"> <a href="` + rd.base + `/" class="topline__head" rel="home" accesskey="1" data-title="` + l.siteName + `"> <i class="topline__logo"></i>` + strings.Replace(l.siteName, " ", nbsp, 1) + `</a> <div class="topline__togglemore" data-url="/mobile-menu"> <i class="topline__togglemore_button"></i> </div> <div class="topline__more"> <nav aria-label="Main menu"> <ul class="nav">`)
	for i, it := range mainNav[l.lang] {
		active := ""
		if i == 0 {
			active = " is-active"
		}
		b.WriteString(`<li class="nav__item" itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="` + rd.base + it.href + `" class="nav__link` + active + `" accesskey="` + itoa(int64(i+2)) + `" itemprop="url"><span itemprop="name">` + it.name + `</span></a> </li>`)
	}
	s := searchLabel[l.lang]
	b.WriteString(` <li class="nav__item last" itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a class="nav__link nav__link_search" href="` + rd.base + `/search" accesskey="7" itemprop="url" title="` + s[1] + `"> <span itemprop="name">` + s[0] + `</span> </a> </li>  </ul> </nav> </div> </div> </div>  <div class="search"> <ul class="search__filter"> <li class="search__filter__item is-active"> <a class="search_without_filter">` + s[2] + `</a> </li>   </ul> <div class="search__in">   <form name="search" class="form search__form simple_search form_special" method="get" action="` + rd.base + `/search" tabindex="-1" role="search" > <fieldset>  <input type="hidden" name="section" class="search__section_value"/> <input type="hidden" name="since" class="search__since_value"/> <input type="hidden" name="till" class="search__till_value"/> <span class="form__field input_wrapper"> <input type="text" name="query" class="search__form__input" id="search__form__input" lang="` + l.lang + `" accesskey="-"  required="required" size="74" title="Enter search" autocomplete="off" data-autocomplete-words-url="/_autocomplete/words" data-autocomplete-url="/_autocomplete"/> <i class="search_icon"></i> <span class="text_overflow__limiter"></span> </span> <span class="form__field button__wrapper">  <button id="search-simple-search-button" class="submit search__form__button">` + s[0] + `</button> </span> </fieldset> </form>   </div> </div>  <div class="topline_nav_mobile"></div> </div>`)
	return b.String()
}

var footerTexts = map[string][]string{
	LangEN: {"President's<br/>website<br/>sections", "Mobile version", "For\u00a0the Media", "Subscribe", "Directory", "Version for\u00a0People with Disabilities", "President's<br/>website<br/>resources", "Current resource", "The Constitution of\u00a0Russia", "State Insignia", "Send a Letter", "Legal<br/>and\u00a0technical<br/>information", "About website", "Using website content", "Personal data of website users", "Contact website team", "All content on this site is licensed under", "Creative Commons Attribution 4.0 International", "Presidential ", "Executive Office", "http://creativecommons.org/licenses/by/4.0/deed.en"},
	LangRU: {"Разделы<br/>сайта<br/>Президента", "Мобильная версия", "Для\u00a0СМИ", "Подписаться", "Справочник", "Версия для\u00a0людей с\u00a0ограниченными возможностями", "Ресурсы<br/>сайта<br/>Президента", "Текущий ресурс", "Конституция России", "Государственная символика", "Обратиться к\u00a0Президенту", "Правовая<br/>и\u00a0техническая<br/>информация", "О\u00a0портале", "Об\u00a0использовании информации сайта", "О\u00a0персональных данных пользователей", "Написать в\u00a0редакцию", "Все материалы сайта доступны по\u00a0лицензии:", "Creative Commons Attribution 4.0 International", "Администрация ", "Президента России", "http://creativecommons.org/licenses/by/4.0/deed.ru"},
}

func (rd *renderer) footer(altURL string) string {
	l := rd.l
	t := footerTexts[l.lang]
	special := "http://special.kremlin.ru"
	if l.lang == LangEN {
		special = "http://en.special.kremlin.ru"
	}
	var b strings.Builder
	b.WriteString(`<div class="footer" id="footer" itemscope="itemscope" itemtype="http://schema.org/WPFooter"> <div class="footer__in"> <div role="complementary" aria-label="Portal Menu"> <div class="footer__mobile"> <a href="` + rd.base + `/"> <i class="footer__logo_mob"></i> <div class="mobile_title">` + strings.Replace(l.siteName, " ", nbsp, 1) + `</div> <div class="mobile_caption">` + t[1] + `</div> </a> </div> <div class="footer__col col_mob"> <h2 class="footer_title">` + t[0] + `</h2> <ul class="footer_list nav_mob">`)
	for i, it := range mainNav[l.lang] {
		active := ""
		if i == 0 {
			active = `class="is-active" `
		}
		b.WriteString(`<li class="footer_list_item" itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="` + rd.base + it.href + `"  ` + active + `itemprop="url"> <span itemprop="name">` + it.name + `</span> </a> </li> `)
	}
	b.WriteString(` <li class="footer__smi footer_list_item" itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="` + rd.base + `/press/announcements" itemprop="url" class="is-special"><i></i><span itemprop="name">` + t[2] + `</span></a> </li> <li class="footer_list_item" itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="` + rd.base + `/subscribe" itemprop="url"><i></i><span itemprop="name">` + t[3] + `</span></a> </li> <li class="footer_list_item hidden_mob" itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="` + rd.base + `/catalog/glossary" itemprop="url" rel="glossary"><span itemprop="name">` + t[4] + `</span></a> </li> </ul> <ul class="footer_list"> <li class="footer__special" itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="` + special + `/events/president/news" itemprop="url" class="is-special no-warning"><i></i><span itemprop="name">` + t[5] + `</span></a> </li> </ul> <ul class="footer_list"> <li class="footer_list_item"> <a href="http://twitter.com/KremlinRussia_E" rel="me" target="_blank">Twitter</a> </li> <li class="footer_list_item"> <a href="http://www.youtube.ru/user/kremlin" rel="me" target="_blank">YouTube</a> </li> </ul> <ul class="footer_list nav_mob"> <li itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement" class="language footer_list_item">   <a href="` + escAttr(altURL) + `" rel="alternate" hreflang="` + l.otherLang + `" itemprop="url" class=" no-warning"> <span itemprop="name">` + l.otherLangName + `</span> </a> <meta itemprop="inLanguage" content="` + l.otherLang + `"/>   </li> </ul> </div> <div class="footer__col"> <h2 class="footer_title">` + t[6] + `</h2> <ul class="footer_list"> <li class="footer__currentsite footer_list_item" itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="` + rd.base + `/" itemprop="url">` + l.siteName + `<span itemprop="name">` + t[7] + `</span> </a> </li> <li class="footer_list_item"> <a href="` + rd.base + `/acts/constitution" class="no-warning">` + t[8] + `</a> </li> <li class="footer_list_item"> <a href="http://flag.kremlin.ru/" class="no-warning" rel="external">` + t[9] + `</a> </li> <li class="footer_list_item"> <a href="http://letters.kremlin.ru/" class="no-warning" rel="external">` + t[10] + `</a> </li> </ul> </div> <div class="footer__col"> <h2 class="footer_title"><a href="http://programmes.putin.kremlin.ru/" rel="external">Special<br/>animal welfare<br/>projects</a></h2> <ul class="footer_list">`)
	for _, p := range [][2]string{{"tiger", "Amur tiger"}, {"beluha", "Beluga whale"}, {"bear", "Polar bear"}, {"leopard", "Snow leopard"}, {"amur_leopard", "Far Eastern leopard"}} {
		b.WriteString(` <li class="footer_list_item"> <a href="http://programmes.putin.kremlin.ru/` + l.lang + `/` + p[0] + `/" class="no-warning" rel="external">` + p[1] + `</a> </li>`)
	}
	b.WriteString(` </ul> </div> <div class="footer__col footer__col_last"> <h2 class="footer_title">` + t[11] + `</h2> <ul class="footer_list technical_info"> <li class="footer_list_item" itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="` + rd.base + `/about" itemprop="url"> <span itemprop="name">` + t[12] + `</span> </a> </li> <li class="footer_list_item" itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="` + rd.base + `/about/copyrights" itemprop="url"><span itemprop="name">` + t[13] + `</span></a> </li> <li class="footer_list_item" itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="` + rd.base + `/about/privacy" itemprop="url"><span itemprop="name">` + t[14] + `</span></a> </li> <li class="footer_list_item" itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="` + rd.base + `/contacts#mailto" itemprop="url"><span itemprop="name">` + t[15] + `</span></a> </li> </ul> </div> </div> <div role="contentinfo"> <div class="footer__license"> <p>` + t[16] + `</p> <p><a href="` + t[20] + `" hreflang="` + l.lang + `" class="underline" rel="license" target="_blank">` + t[17] + `</a></p> </div> <div class="footer__copy"><span class="flag_white">` + t[18] + `</span><span class="flag_blue">` + t[19] + `</span><span class="flag_red">2026</span> </div> </div> <div class="footer__logo"></div> </div> </div>`)
	return b.String()
}

func (rd *renderer) sidebar(altURL string) string {
	l := rd.l
	ruActive, enActive := ` class="is-active"`, ""
	ruHref, enHref := ` href="`+escAttr(altURL)+`"`, ""
	if l.lang == LangRU {
		ruActive, enActive = "", ` class="is-active"`
		ruHref, enHref = "", ` href="`+escAttr(altURL)+`"`
	}
	t := footerTexts[l.lang]
	return `<div class="sidebar" tabindex="-1" itemscope="itemscope" itemtype="http://schema.org/WPSideBar"> <div class="sidebar__content">    <div class="sidebar_lang">  <div class="sidebar_title_wrapper hidden"> <h2 class="sidebar_title">Официальные сетевые ресурсы</h2> <h3 class="sidebar_title sidebar_title_caption">Президента России</h3> </div> <div class="sidebar_title_wrapper is-visible"> <h2 class="sidebar_title">Official Internet Resources</h2> <h3 class="sidebar_title sidebar_title_caption">of the President of Russia</h3> </div> <span class="sidebar_lang_item sidebar_lang_first"> <a tabindex="0"` + ruHref + ` rel="alternate" hreflang="ru" itemprop="url"` + ruActive + `> <span>Русский</span> </a> </span><span class="sidebar_lang_item"> <a tabindex="-1"` + enHref + ` rel="alternate" hreflang="en" itemprop="url"` + enActive + `> <span>English</span> </a> </span> </div> <ul class="sidebar_list">  <li itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="` + rd.base + `/press/announcements" class="sidebar__special" itemprop="url" tabindex="0"><span itemprop="name">` + t[2] + `</span></a> </li> <li itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="http://twitter.com/KremlinRussia_E" class="sidebar__special" itemprop="url" tabindex="0" rel="me" target="_blank" ><span itemprop="name">Twitter</span></a> </li> <li itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="http://www.youtube.ru/user/kremlin" class="sidebar__special" itemprop="url" tabindex="0" rel="me" target="_blank" ><span itemprop="name">YouTube</span></a> </li> </ul> <ul class="sidebar_list sidebar_list_other">  <li itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="http://flag.kremlin.ru/" class="no-warning" itemprop="url" tabindex="0" rel="external"><span itemprop="name">` + t[9] + `</span></a> </li> <li itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="http://letters.kremlin.ru/" class="no-warning" itemprop="url" tabindex="0" rel="external"><span itemprop="name">` + t[10] + `</span></a> </li> <li itemscope="itemscope" itemtype="http://schema.org/SiteNavigationElement"> <a href="http://putin.kremlin.ru/" class="no-warning last-in-focus" itemprop="url" tabindex="0" rel="external"><span itemprop="name">Vladimir Putin’s Personal Website</span></a> </li> </ul> </div> <p class="sidebar__signature">` + t[18] + `<br/>2026</p> </div>`
}

package fakesite

import (
	"fmt"
	"strings"
	"time"
)

// labels are the fixed strings of one language's pages (SPEC §5).
type labels struct {
	lang           string
	base           string // real host
	otherBase      string // the other language's real host
	otherLang      string
	siteName       string // "President of Russia"
	titleSuffix    string // " • President of Russia"
	events         string // a.read__categ
	photos         string // photo tab categ
	videos         string
	tagHead        map[string]string
	more           string // "%d more"
	statusHead     string
	publishedIn1   string // "Published in section:" (with NBSP)
	publishedInN   string
	pubDate        string
	directLink     string
	textVersion    string
	lastUpdated    string
	announcement   string // "Announcement, %s"
	prevButton     string // a.more-prev[rel=prev] text (→ newer)
	nextButton     string // a.more-next[rel=next] text (→ older)
	author         string
	textTab        string
	photoTab       string
	videoTab       string
	shareTab       string
	nPhotos        string // "%d photos"
	notFoundTitle  string
	notFoundText   string
	home           string
	otherLangName  string
	sectionNames   map[string]string // listing section → name ("news" → "News")
	listingTitle   string            // "%s ∙ President ∙ Events ∙ President of Russia"
	president      string
	pressEsc       string
	textOfArticle  string
	relatedPhotos  string
	importantNews  string
	months         [12]string
	weekdays       [7]string
	dateFmt        func(l *labels, t time.Time) string // "August 27, 2020"
	dateTimeFmt    func(l *labels, t time.Time) string // "August 27, 2020, 15:20"
	dayHeaderFmt   func(l *labels, t time.Time, withYear bool) string
	pubSectionHref map[string]string
}

var labelsEN = &labels{
	lang:        LangEN,
	base:        RealBaseEN,
	otherBase:   RealBaseRU,
	otherLang:   LangRU,
	siteName:    "President of Russia",
	titleSuffix: " • President of Russia",
	events:      "Events",
	photos:      "Photos",
	videos:      "Videos",
	tagHead: map[string]string{
		TagGeography: "Geography", TagTopics: "Topics", TagPersons: "Persons",
	},
	more:          "%d more",
	statusHead:    "Publication status",
	publishedIn1:  "Published in\u00a0section:",
	publishedInN:  "Published in\u00a0sections:",
	pubDate:       "Publication date:",
	directLink:    "Direct link:",
	textVersion:   "Text version",
	lastUpdated:   "Last updated at",
	announcement:  "Announcement, %s",
	prevButton:    "Next",
	nextButton:    "Previous",
	author:        "Team of the Official Website of the President of\u00a0Russia",
	textTab:       "Text",
	photoTab:      "Photo",
	videoTab:      "Video",
	shareTab:      "Share",
	nPhotos:       "%d photos",
	notFoundTitle: "Page not found",
	notFoundText:  "The page you requested does not exist or has been moved. Please check the address or use the site search.",
	home:          "Home page",
	otherLangName: "Русский",
	sectionNames: map[string]string{
		"news": "News", "transcripts": "Transcripts", "trips": "Trips", "letters": "Letters",
	},
	listingTitle:  "%s ∙ President ∙ Events ∙ President of Russia",
	president:     "President",
	pressEsc:      "Press Esc to\u00a0close",
	textOfArticle: "Text of the article",
	relatedPhotos: "Related photos",
	importantNews: "Важная новость",
	months: [12]string{"January", "February", "March", "April", "May", "June", "July",
		"August", "September", "October", "November", "December"},
	weekdays: [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"},
	dateFmt: func(l *labels, t time.Time) string {
		return fmt.Sprintf("%s %d, %d", l.months[t.Month()-1], t.Day(), t.Year())
	},
	dateTimeFmt: func(l *labels, t time.Time) string {
		return fmt.Sprintf("%s %d, %d, %02d:%02d", l.months[t.Month()-1], t.Day(), t.Year(), t.Hour(), t.Minute())
	},
	dayHeaderFmt: func(l *labels, t time.Time, withYear bool) string {
		if withYear {
			return fmt.Sprintf("%s %d, %d, %s", l.months[t.Month()-1], t.Day(), t.Year(), l.weekdays[t.Weekday()])
		}
		return fmt.Sprintf("%s %d, %s", l.months[t.Month()-1], t.Day(), l.weekdays[t.Weekday()])
	},
	pubSectionHref: map[string]string{
		"News":                     "/events/president/news",
		"Transcripts":              "/events/president/transcripts",
		"Trips":                    "/events/president/trips",
		"Documents":                "/acts/news",
		"Announcements":            "/press/announcements",
		"Security Council":         "/events/security-council",
		"State Council":            "/events/state-council",
		"Executive Office":         "/events/administration",
		"Commissions and Councils": "/events/councils",
		"Accreditation":            "/press/accreditation",
	},
}

var labelsRU = &labels{
	lang:        LangRU,
	base:        RealBaseRU,
	otherBase:   RealBaseEN,
	otherLang:   LangEN,
	siteName:    "Президент России",
	titleSuffix: " • Президент России",
	events:      "События",
	photos:      "Фотографии",
	videos:      "Видеозаписи",
	tagHead: map[string]string{
		TagGeography: "География", TagTopics: "Темы", TagPersons: "Лица",
	},
	more:          "ещё %d",
	statusHead:    "Статус материала",
	publishedIn1:  "Опубликован в\u00a0разделе:",
	publishedInN:  "Опубликован в\u00a0разделах:",
	pubDate:       "Дата публикации:",
	directLink:    "Ссылка на\u00a0материал:",
	textVersion:   "Текстовая версия",
	lastUpdated:   "Последнее обновление:",
	announcement:  "Анонс, %s",
	prevButton:    "Следующие",
	nextButton:    "Предыдущие",
	author:        "Команда официального сайта Президента России",
	textTab:       "Текст",
	photoTab:      "Фото",
	videoTab:      "Видео",
	shareTab:      "Поделиться",
	nPhotos:       "%d фотографий",
	notFoundTitle: "Страница не найдена",
	notFoundText:  "Запрошенная вами страница не существует или была перемещена. Проверьте адрес или воспользуйтесь поиском по сайту.",
	home:          "Главная страница",
	otherLangName: "English",
	sectionNames: map[string]string{
		"news": "Новости", "transcripts": "Стенограммы", "trips": "Поездки", "letters": "Поздравления",
	},
	listingTitle:  "%s ∙ Президент ∙ События ∙ Президент России",
	president:     "Президент",
	pressEsc:      "Нажмите Esc, чтобы закрыть",
	textOfArticle: "Текст статьи",
	relatedPhotos: "Фотографии к материалу",
	importantNews: "Важная новость",
	months: [12]string{"января", "февраля", "марта", "апреля", "мая", "июня", "июля",
		"августа", "сентября", "октября", "ноября", "декабря"},
	weekdays: [7]string{"воскресенье", "понедельник", "вторник", "среда", "четверг", "пятница", "суббота"},
	dateFmt: func(l *labels, t time.Time) string {
		return fmt.Sprintf("%d %s %d года", t.Day(), l.months[t.Month()-1], t.Year())
	},
	dateTimeFmt: func(l *labels, t time.Time) string {
		return fmt.Sprintf("%d %s %d года, %02d:%02d", t.Day(), l.months[t.Month()-1], t.Year(), t.Hour(), t.Minute())
	},
	dayHeaderFmt: func(l *labels, t time.Time, withYear bool) string {
		if withYear {
			return fmt.Sprintf("%d %s %d года, %s", t.Day(), l.months[t.Month()-1], t.Year(), l.weekdays[t.Weekday()])
		}
		return fmt.Sprintf("%d %s, %s", t.Day(), l.months[t.Month()-1], l.weekdays[t.Weekday()])
	},
	pubSectionHref: map[string]string{
		"Новости":               "/events/president/news",
		"Стенограммы":           "/events/president/transcripts",
		"Поездки":               "/events/president/trips",
		"Документы":             "/acts/news",
		"Анонсы":                "/press/announcements",
		"Совет Безопасности":    "/events/security-council",
		"Государственный совет": "/events/state-council",
		"Администрация":         "/events/administration",
		"Комиссии и советы":     "/events/councils",
		"Аккредитация":          "/press/accreditation",
	},
}

func labelsFor(lang string) *labels {
	if lang == LangRU {
		return labelsRU
	}
	return labelsEN
}

// sectionName is the display name of a listing section ("transcripts/speeches" → "Speeches").
func (l *labels) sectionName(sec string) string {
	if n, ok := l.sectionNames[sec]; ok {
		return n
	}
	last := sec[strings.LastIndex(sec, "/")+1:]
	last = strings.ReplaceAll(last, "_", " ")
	if last == "" {
		return sec
	}
	return strings.ToUpper(last[:1]) + last[1:]
}

// pubHref is the root-relative link of a "Published in" section text.
func (l *labels) pubHref(text string) string {
	if h, ok := l.pubSectionHref[text]; ok {
		return h
	}
	if strings.HasPrefix(text, "Council") || strings.HasPrefix(text, "Совет по") {
		return "/events/councils/by-council/1029"
	}
	return "/events/president/news"
}

package fakesite

// Bilingual banks for the generator. Index 0 is English, index 1 Russian;
// the generator draws indexes, so the same seed gives the same structure in
// both languages. Texts are written clean (single spaces, no NBSP); the
// renderer adds the site's noise.

type bi [2]string

func li(lang string) int {
	if lang == LangRU {
		return 1
	}
	return 0
}

// personEntry is a catalogue person in both languages.
type personEntry struct {
	id       int
	name     bi     // running-text form
	catalog  bi     // catalogue form (tags, tooltip titles)
	position bi     // tooltip description, EN label prefix
	ruShort  string // RU speaker label: "С.Лавров"
	ruIns    string // RU instrumental case for titles: "Сергеем Лавровым"
	foreign  bool   // speaks through an interpreter (label note)
}

var persons = []personEntry{
	{119, bi{"Alexander Lukashenko", "Александр Лукашенко"}, bi{"Lukashenko Alexander", "Лукашенко Александр Григорьевич"}, bi{"President of Belarus", "Президент Республики Беларусь"}, "А.Лукашенко", "Александром Лукашенко", false},
	{90, bi{"Sergei Shoigu", "Сергей Шойгу"}, bi{"Shoigu Sergei", "Шойгу Сергей Кужугетович"}, bi{"Defence Minister", "Министр обороны"}, "С.Шойгу", "Сергеем Шойгу", false},
	{132, bi{"Sergei Lavrov", "Сергей Лавров"}, bi{"Lavrov Sergei", "Лавров Сергей Викторович"}, bi{"Foreign Minister", "Министр иностранных дел"}, "С.Лавров", "Сергеем Лавровым", false},
	{466, bi{"Alexander Shokhin", "Александр Шохин"}, bi{"Shokhin Alexander", "Шохин Александр Николаевич"}, bi{"President of the Russian Union of Industrialists and Entrepreneurs", "Президент Российского союза промышленников и предпринимателей"}, "А.Шохин", "Александром Шохиным", false},
	{554, bi{"Yevgeny Ditrikh", "Евгений Дитрих"}, bi{"Ditrikh Yevgeny", "Дитрих Евгений Иванович"}, bi{"Minister of Transport", "Министр транспорта"}, "Е.Дитрих", "Евгением Дитрихом", false},
	{215, bi{"Valentina Matviyenko", "Валентина Матвиенко"}, bi{"Matviyenko Valentina", "Матвиенко Валентина Ивановна"}, bi{"Speaker of the Federation Council", "Председатель Совета Федерации"}, "В.Матвиенко", "Валентиной Матвиенко", false},
	{148, bi{"Nikolai Patrushev", "Николай Патрушев"}, bi{"Patrushev Nikolai", "Патрушев Николай Платонович"}, bi{"Secretary of the Security Council", "Секретарь Совета Безопасности"}, "Н.Патрушев", "Николаем Патрушевым", false},
	{100, bi{"Alexander Bortnikov", "Александр Бортников"}, bi{"Bortnikov Alexander", "Бортников Александр Васильевич"}, bi{"Director of the Federal Security Service", "Директор Федеральной службы безопасности"}, "А.Бортников", "Александром Бортниковым", false},
	{310, bi{"Vladimir Kolokoltsev", "Владимир Колокольцев"}, bi{"Kolokoltsev Vladimir", "Колокольцев Владимир Александрович"}, bi{"Interior Minister", "Министр внутренних дел"}, "В.Колокольцев", "Владимиром Колокольцевым", false},
	{312, bi{"Herman Gref", "Герман Греф"}, bi{"Gref Herman", "Греф Герман Оскарович"}, bi{"CEO and Chairman of the Executive Board of Sberbank", "Президент, председатель правления Сбербанка"}, "Г.Греф", "Германом Грефом", false},
	{400, bi{"Rustam Minnikhanov", "Рустам Минниханов"}, bi{"Minnikhanov Rustam", "Минниханов Рустам Нургалиевич"}, bi{"Head of the Republic of Tatarstan", "глава Республики Татарстан"}, "Р.Минниханов", "Рустамом Миннихановым", false},
	{520, bi{"Sergei Sobyanin", "Сергей Собянин"}, bi{"Sobyanin Sergei", "Собянин Сергей Семёнович"}, bi{"Mayor of Moscow", "Мэр Москвы"}, "С.Собянин", "Сергеем Собяниным", false},
	{600, bi{"Mikhail Mishustin", "Михаил Мишустин"}, bi{"Mishustin Mikhail", "Мишустин Михаил Владимирович"}, bi{"Prime Minister", "Председатель Правительства"}, "М.Мишустин", "Михаилом Мишустиным", false},
	{601, bi{"Elvira Nabiullina", "Эльвира Набиуллина"}, bi{"Nabiullina Elvira", "Набиуллина Эльвира Сахипзадовна"}, bi{"Governor of the Central Bank", "Председатель Центрального банка"}, "Э.Набиуллина", "Эльвирой Набиуллиной", false},
	{602, bi{"Anton Siluanov", "Антон Силуанов"}, bi{"Siluanov Anton", "Силуанов Антон Германович"}, bi{"Finance Minister", "Министр финансов"}, "А.Силуанов", "Антоном Силуановым", false},
	{603, bi{"Tatyana Golikova", "Татьяна Голикова"}, bi{"Golikova Tatyana", "Голикова Татьяна Алексеевна"}, bi{"Deputy Prime Minister", "Заместитель Председателя Правительства"}, "Т.Голикова", "Татьяной Голиковой", false},
	{604, bi{"Igor Sechin", "Игорь Сечин"}, bi{"Sechin Igor", "Сечин Игорь Иванович"}, bi{"Rosneft CEO", "Главный исполнительный директор компании «Роснефть»"}, "И.Сечин", "Игорем Сечиным", false},
	{605, bi{"Dmitry Peskov", "Дмитрий Песков"}, bi{"Peskov Dmitry", "Песков Дмитрий Сергеевич"}, bi{"Presidential Press Secretary", "Пресс-секретарь Президента"}, "Д.Песков", "Дмитрием Песковым", false},
	{606, bi{"Xi Jinping", "Си Цзиньпин"}, bi{"Xi Jinping", "Си Цзиньпин"}, bi{"President of the People's Republic of China", "Председатель Китайской Народной Республики"}, "Си Цзиньпин", "Си Цзиньпином", true},
	{607, bi{"Emmanuel Macron", "Эммануэль Макрон"}, bi{"Macron Emmanuel", "Макрон Эммануэль"}, bi{"President of France", "Президент Франции"}, "Э.Макрон", "Эммануэлем Макроном", true},
	{608, bi{"Charles Michel", "Шарль Мишель"}, bi{"Michel Charles", "Мишель Шарль"}, bi{"Prime Minister of Belgium", "Премьер-министр Бельгии"}, "Ш.Мишель", "Шарлем Мишелем", true},
	{609, bi{"Fyodor Lukyanov", "Фёдор Лукьянов"}, bi{"Lukyanov Fyodor", "Лукьянов Фёдор Александрович"}, bi{"Research Director of the Foundation for Development and Support of the Valdai Discussion Club, moderator", "научный директор фонда развития и поддержки Международного дискуссионного клуба «Валдай»"}, "Ф.Лукьянов", "Фёдором Лукьяновым", false},
	{610, bi{"Andrei Vandenko", "Андрей Ванденко"}, bi{"Vandenko Andrei", "Ванденко Андрей"}, bi{"TASS special correspondent", "специальный корреспондент ТАСС"}, "А.Ванденко", "Андреем Ванденко", false},
}

// nobodyLabels are labels with no speaker key: questions and remarks from
// the floor, journalists without a catalogue page.
var nobodyLabels = []bi{
	{"Question", "Вопрос"},
	{"Remark", "Реплика"},
	{"John Fraher", "Дж.Фрейер"},
	{"Asle Toje", "А.Тойе"},
}

// putinFirst and putinLater are Putin's labels (EN first turn, later turns; RU always В.Путин).
var putinFirst = bi{"President of Russia Vladimir Putin", "В.Путин"}
var putinLater = bi{"Vladimir Putin", "В.Путин"}

var interpreterNotes = []bi{
	{"retranslated", "синхронный перевод"},
	{"retranslated", "синхронный перевод"},
	{"re-translated", "синхронный перевод"},
	{"translated from French", "перевод с французского"},
}

type tagEntry struct {
	text bi
	href string
}

var geoTags = []tagEntry{
	{bi{"Sevastopol", "Севастополь"}, "/catalog/regions/SEV/events"},
	{bi{"Republic of Crimea", "Республика Крым"}, "/catalog/regions/CR/events"},
	{bi{"Moscow", "Москва"}, "/catalog/regions/MOW/events"},
	{bi{"Volgograd Region", "Волгоградская область"}, "/catalog/regions/VGG/events"},
	{bi{"Republic of Tatarstan", "Республика Татарстан"}, "/catalog/regions/TA/events"},
	{bi{"Primorye Territory", "Приморский край"}, "/catalog/regions/PRI/events"},
	{bi{"Irkutsk Region", "Иркутская область"}, "/catalog/regions/IRK/events"},
	{bi{"Belarus", "Белоруссия"}, "/catalog/countries/BY/events"},
	{bi{"China", "Китай"}, "/catalog/countries/CN/events"},
	{bi{"France", "Франция"}, "/catalog/countries/FR/events"},
	{bi{"Belgium", "Бельгия"}, "/catalog/countries/BE/events"},
	{bi{"Kazakhstan", "Казахстан"}, "/catalog/countries/KZ/events"},
}

var topicTags = []tagEntry{
	{bi{"Foreign policy", "Внешняя политика"}, "/catalog/keywords/82/events"},
	{bi{"Construction industry", "Строительство"}, "/catalog/keywords/61/events"},
	{bi{"Regions", "Регионы"}, "/catalog/keywords/86/events"},
	{bi{"Transport", "Транспорт"}, "/catalog/keywords/102/events"},
	{bi{"National security", "Национальная безопасность"}, "/catalog/keywords/78/events"},
	{bi{"Russia–European Union", "Россия – Евросоюз"}, "/catalog/keywords/16/events"},
	{bi{"Economy and finance", "Экономика и финансы"}, "/catalog/keywords/5/events"},
	{bi{"Healthcare", "Здравоохранение"}, "/catalog/keywords/33/events"},
	{bi{"Education", "Образование"}, "/catalog/keywords/45/events"},
	{bi{"Science and innovation", "Наука и инновации"}, "/catalog/keywords/49/events"},
	{bi{"Armed Forces", "Вооружённые Силы"}, "/catalog/keywords/31/events"},
	{bi{"Culture", "Культура"}, "/catalog/keywords/48/events"},
	{bi{"Great Patriotic War", "Великая Отечественная война"}, "/catalog/keywords/70/events"},
}

var places = []bi{
	{"The Kremlin, Moscow", "Москва, Кремль"},
	{"Novo-Ogaryovo, Moscow Region", "Ново-Огарёво, Московская область"},
	{"Sochi", "Сочи"},
	{"St Petersburg", "Санкт-Петербург"},
	{"Republic of Crimea", "Республика Крым"},
	{"Vladivostok", "Владивосток"},
	{"Minsk", "Минск"},
	{"Beijing", "Пекин"},
	{"Kazan", "Казань"},
	{"Bocharov Ruchei, Sochi", "Сочи, Бочаров Ручей"},
	{"Valdai, Novgorod Region", "Валдай, Новгородская область"},
	{"Moscow", "Москва"},
}

// forums: EN name, RU genitive.
var forums = []bi{
	{"St Petersburg International Economic Forum", "Петербургского международного экономического форума"},
	{"Valdai International Discussion Club", "Международного дискуссионного клуба «Валдай»"},
	{"Eastern Economic Forum", "Восточного экономического форума"},
	{"Russian Energy Week international forum", "международного форума «Российская энергетическая неделя»"},
	{"Council for Strategic Development and National Projects", "Совета по стратегическому развитию и национальным проектам"},
	{"Russian Union of Industrialists and Entrepreneurs congress", "съезда Российского союза промышленников и предпринимателей"},
	{"Security Council", "Совета Безопасности"},
	{"State Council Presidium", "Президиума Государственного совета"},
}

// title templates. {pos} {name} {ins} {forum} {place}.
var titlesPerson = []bi{
	{"Meeting with {pos} {name}", "Встреча с {ins}"},
	{"Telephone conversation with {pos} {name}", "Телефонный разговор с {ins}"},
	{"Working meeting with {pos} {name}", "Рабочая встреча с {ins}"},
	{"Talks with {pos} {name}", "Переговоры с {ins}"},
}

var titlesOther = []bi{
	{"Meeting of the {forum}", "Заседание {forum}"},
	{"Plenary session of the {forum}", "Пленарное заседание {forum}"},
	{"Greetings to participants of the {forum}", "Приветствие участникам {forum}"},
	{"Meeting with Government members", "Совещание с членами Правительства"},
	{"Meeting with permanent members of the Security Council", "Оперативное совещание с постоянными членами Совета Безопасности"},
	{"Launching motor traffic on completed sections of Taurida motorway", "Открытие движения по участкам трассы «Таврида»"},
	{"Meeting with representatives of R&D companies", "Встреча с представителями научных и инженерных компаний (R&D)"},
	{"Executive Order on awarding state decorations", "Указ о награждении государственными наградами"},
	{"Condolences to the President of France", "Соболезнования Президенту Франции"},
	{"Visit to the 14th International Aviation and Space Salon", "Посещение 14-го Международного авиационно-космического салона"},
}

var announceTitles = []bi{
	{"Sochi will host the Russia-Africa Summit on October 24", "В Сочи 24 октября пройдёт саммит Россия – Африка"},
	{"Vladimir Putin will take part in the {forum}", "Владимир Путин примет участие в работе {forum}"},
	{"Upcoming visit of {pos} {name} to Russia", "Предстоящий визит в Россию: {name}"},
}

var leadsPerson = []bi{
	{"Vladimir Putin had a meeting with {pos} {name}.", "Владимир Путин провёл встречу с {ins}."},
	{"Vladimir Putin had a telephone conversation with {pos} {name}. The discussion focused on key issues of bilateral cooperation.", "Состоялся телефонный разговор Владимира Путина с {ins}. Обсуждены ключевые вопросы двустороннего сотрудничества."},
	{"The President had a working meeting with {pos} {name}, who reported on the situation in the sector.", "Президент провёл рабочую встречу с {ins}, который доложил о ситуации в отрасли."},
}

var leadsOther = []bi{
	{"Vladimir Putin took part in the plenary session of the {forum}.", "Владимир Путин принял участие в пленарном заседании {forum}."},
	{"During his working trip to the Republic of Crimea, Vladimir Putin took part in the launch of motor traffic on the finished sections of the Taurida motorway.", "В ходе рабочей поездки в Республику Крым Владимир Путин принял участие в открытии движения по готовым участкам трассы «Таврида»."},
	{"The President held a meeting via videoconference to discuss the preparation of educational institutions for the new school year.", "Президент в режиме видеоконференции провёл совещание по вопросам подготовки образовательных учреждений к новому учебному году."},
	{"The meeting discussed the development of the transport infrastructure and support for the regions.", "На совещании обсуждались развитие транспортной инфраструктуры и поддержка регионов."},
	{"Vladimir Putin sent greetings to the participants, organisers and guests of the {forum}.", "Владимир Путин направил приветствие участникам, организаторам и гостям {forum}."},
}

// narrative sentences (news bodies, text before the first turn).
var sentences = []bi{
	{"The President inspected information boards highlighting the stages of the construction project and spoke briefly with the workers.", "Президент осмотрел информационные стенды о ходе строительства и коротко побеседовал с рабочими."},
	{"The discussion focused on key issues of bilateral cooperation and on the international agenda.", "Обсуждались ключевые вопросы двустороннего сотрудничества и международная повестка дня."},
	{"The participants reviewed the implementation of national projects in the regions.", "Участники рассмотрели ход реализации национальных проектов в регионах."},
	{"Special attention was paid to the current state and prospects of trade and economic relations.", "Особое внимание было уделено текущему состоянию и перспективам торгово-экономических связей."},
	{"It is planned to discuss a wide range of issues, including a joint response to new challenges and threats.", "Планируется обсудить широкий круг вопросов, в том числе совместное реагирование на новые вызовы и угрозы."},
	{"The four-lane motorway has first technical category status and is located on the border of two Russian regions.", "Четырёхполосная трасса имеет первую техническую категорию и проходит по границе двух субъектов Российской Федерации."},
	{"Under the project, 95 engineering structures, including bridges and overpasses, as well as 18 transport interchanges will be built.", "В рамках проекта будут построены 95 искусственных сооружений, включая мосты и путепроводы, а также 18 транспортных развязок."},
	{"Last year, bilateral trade increased by over 23 percent to exceed $32 billion.", "В прошлом году двусторонний товарооборот вырос более чем на 23 процента и превысил 32 миллиарда долларов."},
	{"The leaders also exchanged views on the situation in Syria and on the Korean Peninsula.", "Лидеры также обменялись мнениями о ситуации в Сирии и на Корейском полуострове."},
	{"On October 24, the heads of delegations are to adopt a political declaration.", "24 октября главы делегаций примут политическую декларацию."},
	{"This is the 14th meeting of its kind – and, as before, the agenda is very broad.", "Это уже 14-я встреча в таком формате – и, как и прежде, повестка очень широкая."},
	{"The Government was instructed to submit proposals by the end of the year.", "Правительству поручено представить предложения до конца года."},
	{"Vladimir Putin also said that the programme had been extended until 2024 and that it envisaged the construction of an additional 200 km of roads.", "Владимир Путин также сообщил, что программа продлена до 2024 года и предусматривает строительство ещё 200 километров дорог."},
	{"Representatives of R&D companies presented their projects to the head of state.", "Представители научных и инженерных компаний (R&D) рассказали главе государства о своих проектах."},
	{"The company's plans for the next three years were also discussed.", "Также обсуждались планы компании на ближайшие три года."},
	{"Before the talks, the leaders had a brief conversation in the “narrow” format.", "Перед переговорами лидеры коротко пообщались в «узком» составе."},
	{"The meeting was attended by members of the Government and heads of regions.", "Во встрече приняли участие члены Правительства и главы регионов."},
	{"The President noted that the road would spur the development of the entire peninsula: it is just as important as the power sector and water supply.", "Президент отметил, что дорога даст импульс развитию всего полуострова: это так же важно, как энергетика и водоснабжение."},
	{"After that, Vladimir Putin gave the green light to launching vehicle traffic along the newly built sections.", "После этого Владимир Путин дал старт движению по новым участкам."},
	{"A package of trade, economic and investment agreements is expected to be signed following the forum.", "По итогам форума ожидается подписание пакета торгово-экономических и инвестиционных соглашений."},
	{"The head of state was informed about the progress of the vaccination campaign and the situation in healthcare.", "Главу государства проинформировали о ходе вакцинации и ситуации в здравоохранении."},
	{"The event was held at the Kremlin and was broadcast live.", "Мероприятие прошло в Кремле и транслировалось в прямом эфире."},
}

// sentences mentioning a person: {pos} {name} (EN), {name} (RU nominative).
var sentencesPerson = []bi{
	{"The President drove along a newly built section of the motorway with {pos} {name}.", "Президент проехал по новому участку трассы вместе с {ins}."},
	{"The meeting was also attended by {pos} {name}.", "Во встрече также принял участие {pos} {name}."},
	{"{pos} {name} reported on the results of the work done in the first half of the year.", "{pos} {name} доложил о результатах работы за первое полугодие."},
	{"Vladimir Putin thanked {name} for the fruitful cooperation.", "Владимир Путин поблагодарил за плодотворное сотрудничество: {name}."},
}

// speech sentences (turns, quotes).
var speech = []bi{
	{"Good afternoon, colleagues.", "Добрый день, уважаемые коллеги!"},
	{"Thank you very much.", "Большое спасибо."},
	{"Mr President, friends,", "Уважаемый господин Президент! Друзья!"},
	{"We are delighted to welcome you to Moscow ahead of the New Year.", "Мы рады приветствовать Вас в Москве накануне Нового года."},
	{"Overall, I believe that our relations have been developing quite well.", "В целом, считаю, наши отношения развиваются очень неплохо."},
	{"Today there are two main items on our agenda: small businesses, and road quality and traffic safety.", "Сегодня у нас в повестке два основных вопроса: малый бизнес, а также качество дорог и безопасность движения."},
	{"I would like to say a few words about the economy.", "Хотел бы сказать несколько слов об экономике."},
	{"Of course, there are some problems, which is natural given the extensive scope of our interaction.", "Конечно, есть и проблемы, что естественно при таком масштабе нашего взаимодействия."},
	{"All disputes must be resolved in a civilised manner – through dialogue.", "Все споры должны решаться цивилизованно – путём диалога."},
	{"Let me be honest: this is not an easy task.", "Скажу откровенно: задача непростая."},
	{"We agreed to resume our conversation in Moscow.", "Мы договорились продолжить разговор в Москве."},
	{"This is very important for us as well, because we are deeply involved in global developments.", "Для нас это тоже очень важно, потому что мы глубоко вовлечены в мировые процессы."},
	{"Last year, our bilateral trade increased by over 23 percent.", "В прошлом году наш товарооборот вырос более чем на 23 процента."},
	{"I suggest that we listen to both sides even if we fail to reach any final agreements.", "Предлагаю выслушать обе стороны, даже если мы не придём к окончательным договорённостям."},
	{"Mr Putin, let me start by thanking you for our regular meetings.", "Владимир Владимирович, позвольте прежде всего поблагодарить Вас за регулярные встречи."},
	{"The congress is the concluding highlight of the Russian Business Week.", "Съезд – это завершающее событие Российской недели предпринимательства."},
	{"What does the term “middle class” mean in our country?", "Что у нас в стране понимается под термином «средний класс»?"},
	{"Within one's means – that is a very unclear formula.", "«По средствам» – это очень расплывчатая формула."},
	{"We comply with all UN Security Council resolutions.", "Мы выполняем все резолюции Совета Безопасности ООН."},
	{"I am confident that your visit will be beneficial for our countries and economies.", "Уверен, что Ваш визит будет полезен для наших стран и экономик."},
	{"This is the 20th century's legacy, and we have to deal with it.", "Это наследие XX века, и нам приходится с ним разбираться."},
	{"Please, go ahead.", "Пожалуйста, прошу Вас."},
	{"Yes, of course.", "Да, конечно."},
	{"The situation is certainly changing, and the Government is aware of it.", "Ситуация, безусловно, меняется, и Правительство это видит."},
}

var headings = []bi{
	{"Beginning of meeting with {pos} {name}", "Начало встречи с {ins}"},
	{"Opening remarks at the meeting", "Вступительное слово на совещании"},
	{"Beginning of the meeting of the {forum}", "Начало заседания {forum}"},
	{"Russian-Belarusian talks", "Российско-белорусские переговоры"},
}

var cutTrips = []bi{
	{"State Visit to the UK", "Государственный визит в Великобританию"},
	{"Working trip to the Volgograd Region", "Рабочая поездка в Волгоградскую область"},
	{"Visit to China", "Визит в Китай"},
}

var cutTitles = bi{"See also", "Смотрите также"}
var cutTitlesAdditional = bi{"Additional", "Дополнительно"}

var pubNews = bi{"News", "Новости"}
var pubTranscripts = bi{"Transcripts", "Стенограммы"}
var pubAnnouncements = bi{"Announcements", "Анонсы"}
var pubExtra = []bi{
	{"Security Council", "Совет Безопасности"},
	{"Documents", "Документы"},
	{"State Council", "Государственный совет"},
}
var pubCouncils = bi{"Commissions and Councils", "Комиссии и советы"}
var pubCouncil = bi{"Council for Strategic Development and National Projects", "Совет по стратегическому развитию и национальным проектам"}

// Real-looking diaries shared by the summarizer tests (written for them; no real people).
import type { SummaryEntry } from '../../src/summarizer/summarizer.js';

export const JA_DIARY = `朝六時に目が覚めた。窓の外はまだ薄暗く、昨夜からの雨が静かに降り続いていた。コーヒーを淹れて、ベランダで少しだけ雨の音を聞いてから支度をした。

午前中は会社で新しい予約システムの設計レビューがあった。田中さんが作った画面遷移図はよくできていたが、キャンセル処理の流れがまだ曖昧で、三十分ほど議論になった。結局、キャンセル待ちの扱いは来週までに佐藤さんと私で案をまとめることになった。会議のあと、議事録を書きながら自分の説明がわかりにくかったところを反省した。

昼は久しぶりに駅前の定食屋に行った。サバの味噌煮定食を頼んだら、店のおばあさんが「最近見なかったね」と声をかけてくれた。覚えていてくれたことが素直にうれしかった。

午後は予約システムのデータベース設計に集中した。予約テーブルとキャンセル待ちテーブルを分けるかどうかでしばらく迷ったが、履歴を追いやすいように状態を一つの列で持つ形に決めた。夕方、佐藤さんに相談すると「その方がテストも書きやすい」と賛成してくれたので、明日から実装を始められそうだ。

帰りには雨が上がっていて、川沿いの道を遠回りして歩いた。桜のつぼみがだいぶ膨らんでいて、来週には咲きそうだった。途中の公園では小学生たちがサッカーをしていて、ボールが足元に転がってきたので蹴り返したら、思ったより遠くに飛んで自分でも驚いた。運動不足だと思っていたけれど、まだ体は動くらしい。スーパーで菜の花と豆腐を買い、夜は菜の花のおひたしと湯豆腐を作った。

寝る前に、来月の母の誕生日に何を贈るか考えた。去年は花だったので、今年は一緒に食事に行くのがいいかもしれない。妹にも相談してみようと思う。母は和食が好きなので、実家の近くにある天ぷらの店を予約できないか調べてみた。週末の昼ならまだ空いているようだったので、妹の都合を聞いてから予約するつもりだ。

そういえば、来週からは引っ越しの準備も本格的に始めなければならない。新しい部屋は今より駅から遠いが、川に近くて静かなところが気に入っている。荷物を減らすために、読まなくなった本を古本屋に持っていくことにした。段ボールも近所のスーパーでもらえるか聞いてみよう。今日は忙しかったけれど、設計の方向が決まって気持ちが軽くなった一日だった。

夜、久しぶりに高校時代の友人の健太から電話があった。転職して大阪に移ったらしく、新しい職場は忙しいけれど人がいいと話していた。ゴールデンウィークにこちらへ来るそうなので、そのときは桜はもう散っているだろうが、川沿いの店で飲もうと約束した。`;

export const EN_DIARY = `I woke up before the alarm today, which almost never happens. The light through the curtains was that pale grey you get in early March, and I lay there for a few minutes listening to the neighbour's dog bark at the delivery van.

Work was mostly about the quarterly planning deck. Priya and I spent the whole morning arguing about whether the onboarding project should come before the billing migration. She thinks onboarding drives growth, and she has the numbers to back it up. I still think the billing migration is a risk we keep postponing, and every month we wait it gets more expensive. We agreed to put both options in front of Marcus on Thursday with honest estimates.

Lunch was a sad desk sandwich, but I made up for it with a long walk in the afternoon. I took the path along the canal and called Mum on the way. She sounded tired but cheerful; the new knee is healing well and she has started going to the swimming pool again. She asked, again, when I am coming up to visit. I promised to book the train for the Easter weekend.

In the evening I finally fixed the leaking tap in the bathroom. It took three videos, two trips to the hardware shop and far too much swearing, but it no longer drips. I celebrated with a bowl of leftover chili and an episode of the detective series Sam keeps recommending.

Before bed I wrote down the three things I want to get done tomorrow: finish the estimates for the billing migration, book the Easter train, and go for a proper run. Today was busy but it felt productive, and the quiet bathroom is a small victory.`;

function d(day: number): string {
  return `2024-03-${String(day).padStart(2, '0')}`;
}

/** A March of Japanese days: a few long raw diaries and some days given as their daily summaries. */
export const JA_MONTH: SummaryEntry[] = [
  { date: d(2), text: '朝から引っ越しの荷造りをした。段ボールが足りなくなり、近所のスーパーで分けてもらった。夕方に妹が手伝いに来てくれて、夜までに本棚を片付けた。', isSummary: true },
  { date: d(5), text: JA_DIARY },
  { date: d(9), text: '新しい部屋に引っ越した。業者さんの作業が早くて午前中に終わった。午後はカーテンを買いに行き、夜はまだ段ボールに囲まれて寝た。', isSummary: true },
  { date: d(14), text: '予約システムの実装が山場を迎えた。キャンセル待ちのテストが落ち続け、原因は日付のタイムゾーン処理だった。佐藤さんと二人で直し、夜十時に帰った。', isSummary: true },
  { date: d(20), text: '母の誕生日に妹と三人で食事に行った。母は店の天ぷらをとても喜んでくれた。久しぶりに家族でゆっくり話ができた。' },
  { date: d(27), text: '予約システムが本番に出た。大きな障害はなく、チームで小さく乾杯した。田中さんが作った画面が好評で、自分のことのようにうれしかった。', isSummary: true },
  { date: d(30), text: '川沿いの桜が満開だった。新しい部屋から歩いて行ける距離なので、朝の散歩が楽しみになった。' },
];

export const EN_MONTH: SummaryEntry[] = [
  { date: d(1), text: 'Started the new running plan. Three kilometres felt harder than it should. Priya lent me her foam roller.', isSummary: true },
  { date: d(6), text: EN_DIARY },
  { date: d(12), text: 'Presented the billing migration plan to Marcus. He approved it for next quarter. Celebrated with the team at the noodle bar.', isSummary: true },
  { date: d(18), text: 'Long run along the canal, eight kilometres. Rained the whole way but it felt great. Called Mum about the Easter visit.', isSummary: true },
  { date: d(29), text: 'Took the train north for Easter. Mum is walking without a stick now. We cooked a big roast together and talked until midnight.' },
];

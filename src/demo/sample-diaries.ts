// Sample diaries for the demo user of `npm start`: weeks of real-looking days in Japanese and
// English, long enough (≥ 1000 characters) to be summarized.

const JA: readonly string[] = [
  '朝六時に目が覚めて、窓を開けると冷たい風が部屋に入ってきた。',
  'コーヒーを淹れながら、今日やるべきことを手帳に三つだけ書き出した。',
  '午前中は新しいプロジェクトの設計レビューがあり、田中さんと山本さんが鋭い質問をしてくれた。',
  'データベースの索引をどう張るかで議論が白熱したが、最後は計測してから決めようということで落ち着いた。',
  '昼休みには会社の近くの定食屋で鯖の味噌煮を食べた。',
  '店のおばあさんが「寒くなったね」と声をかけてくれて、少しだけ心が温かくなった。',
  '午後は集中してコードを書き、テストが全部通ったときには思わず小さくガッツポーズをした。',
  'ただ、夕方になって本番環境のアラートが鳴り、原因を調べるのに一時間ほどかかった。',
  '結局はRedisの接続数の上限に達していただけで、設定を見直して解決した。',
  '帰り道、駅前の本屋に寄って、前から気になっていた小説を一冊買った。',
  '夜は妹と電話で話し、年末に実家へ帰る日程を相談した。',
  '母が最近ヨガを始めたらしく、毎朝十五分は続けているそうだ。',
  '夕食は冷蔵庫に残っていた野菜で簡単な鍋を作った。',
  '白菜と豆腐がよく煮えて、体の芯まで温まった。',
  '寝る前に買ったばかりの小説を三十ページほど読んだ。',
  '主人公が故郷の港町に戻る場面が印象的で、自分の子どもの頃を思い出した。',
  '週末は友人の佐藤と高尾山に登る約束をしている。',
  '天気予報では晴れるらしいので、早起きして朝一番の電車に乗るつもりだ。',
  '最近は睡眠時間を七時間確保するように心がけていて、日中の集中力が明らかに違う。',
  'スマートフォンを寝室に持ち込まないというルールも、二週間続いている。',
  '今日はランニングを五キロ走り、ペースは一キロ六分を少し切った。',
  '川沿いの道は紅葉が見頃で、走りながら何度も足を止めて写真を撮った。',
  '会議が多い一日で、自分の作業時間がほとんど取れなかったのが反省点だ。',
  '明日は午前中を集中作業の時間としてカレンダーに確保しておいた。',
  '同僚の鈴木さんが来月から育休に入るので、引き継ぎの資料を一緒に確認した。',
  '丁寧にまとめられた資料で、チームの誰が読んでも分かるようになっていた。',
  '夜、久しぶりにピアノを弾いたら、指が思うように動かなくて笑ってしまった。',
  'それでも好きな曲を一曲通して弾けたので満足している。',
  '今日一日を振り返ると、小さな失敗はあったけれど、よく前に進めた日だったと思う。',
  '明日も丁寧に、一つずつ片付けていきたい。',
];

const EN: readonly string[] = [
  'I woke up before the alarm and watched the sky turn pink over the rooftops.',
  'Breakfast was oatmeal with apples, and I finally finished the coffee beans Maria gave me.',
  'The morning stand-up ran long because the release was blocked by a flaky integration test.',
  'Tom and I paired on it and found a race between the cache warm-up and the first request.',
  'We fixed it with a readiness check, and the whole suite went green on the first try.',
  'At lunch I walked to the park and ate a sandwich on the bench by the pond.',
  'Two kids were feeding the ducks, and one of them named every single duck after a planet.',
  'In the afternoon I wrote the design document for the new notification service.',
  'The hardest part was deciding what happens when a message cannot be delivered at all.',
  'Priya suggested a dead-letter queue with a replay button, which felt obviously right.',
  'I left the office at six and called my dad on the way to the station.',
  'He is repainting the garage and sent me three photos of slightly different shades of blue.',
  'Dinner was a tomato pasta with too much garlic, which is the right amount of garlic.',
  'Afterwards I read two chapters of the novel about the lighthouse keeper.',
  'The writing is quiet and patient, and I keep underlining sentences I want to remember.',
  'I went for a run along the river, five kilometres at an easy pace.',
  'The leaves have turned gold and red, and the path smelled of rain and wet earth.',
  'My knee felt fine, which is a relief after last month.',
  'Sarah and I booked tickets to see her band play at the small venue downtown next Friday.',
  'I spent the evening cleaning the kitchen and sorting a drawer of mystery cables.',
  'Half of them belonged to devices I no longer own, so they went to the recycling box.',
  'Today was a day of meetings, and I barely wrote any code.',
  'I blocked tomorrow morning for focused work and turned off notifications until noon.',
  'Before bed I wrote down three things I was grateful for: the run, the call, and the quiet.',
  'It was an ordinary day, but a good one, and I want to remember how calm it felt.',
];

function pick(bank: readonly string[], day: number, minChars: number): string {
  const out: string[] = [];
  let length = 0;
  // A stride coprime with the bank length visits every sentence in a day-dependent order.
  for (let i = 0; length < minChars; i++) {
    const s = bank[(day * 7 + i * 11) % bank.length] as string;
    out.push(s);
    length += s.length + 1;
  }
  return out.join(bank === EN ? ' ' : '');
}

export interface SampleDiary {
  date: string;
  content: string;
}

/** `days` diaries ending the day before `today` (YYYY-MM-DD), alternating weeks of Japanese and English. */
export function sampleDiaries(today: string, days: number, minChars: number): SampleDiary[] {
  const base = Date.parse(`${today}T00:00:00Z`);
  const out: SampleDiary[] = [];
  for (let d = days; d >= 1; d--) {
    if (d % 5 === 3) continue; // not every day has an entry
    const date = new Date(base - d * 86_400_000).toISOString().slice(0, 10);
    const japanese = Math.floor(d / 7) % 2 === 0;
    out.push({ date, content: pick(japanese ? JA : EN, d, Math.max(minChars, 1000) + 50) });
  }
  return out;
}
